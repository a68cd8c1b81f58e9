"""Confidence transfer: per-set figures and a leave-one-domain-out fit that never sees the set."""

from __future__ import annotations

import random

import pytest

from assistant.confidence import Calibration
from evals.runner import CaseResult
from evals.transfer import Domain, compare, figures


def result(answerable: bool, level: float, correct: bool, reason: str | None = None) -> CaseResult:
    values = {"best_match": level}
    return CaseResult(
        id=str(random.random()), question="q", expected="answer" if answerable else "handoff",
        reason=None, tags={}, expected_sources=[], decision="answer", decision_reason=reason,
        ranked=[], cited=[], answer="a", draft="a", confidence=level, grounded_share=1.0,
        facts=1.0, correct=correct, latency_ms=1.0, features=values,
    )  # fmt: skip


def domain(name: str, shift: float, seed: int) -> Domain:
    """A set whose similarities sit `shift` higher than another's: raw levels do not transfer,
    levels relative to the set's own probes do."""
    rng = random.Random(seed)
    rows = [result(True, rng.uniform(0.55, 0.9) + shift, True) for _ in range(60)]
    rows += [result(False, rng.uniform(0.2, 0.6) + shift, False) for _ in range(40)]
    medians = {"found": {"best_match": 0.72 + shift}, "away": {"best_match": 0.40 + shift}}
    calibration = Calibration({"best_match": 6.0}, -3.0 - 6.0 * shift, details={"medians": medians})
    return Domain(name, rows, calibration)


def test_figures_count_triage_hand_offs_as_not_answered() -> None:
    rows = [result(True, 0.9, True), result(True, 0.9, True, "angry"), result(False, 0.2, False)]
    got = figures(rows, [0.9, 0.9, 0.2], threshold=0.5)
    assert got["answerable_handoff_rate"] == pytest.approx(0.5)
    assert got["unanswerable_handoff_rate"] == 1.0
    assert got["confidently_wrong_rate"] == 0.0


def test_leave_one_domain_out_transfers_through_each_sets_own_scale() -> None:
    domains = [domain("a", 0.0, 1), domain("b", 0.25, 2), domain("c", -0.15, 3)]
    table = compare(domains, handoff_target=0.75)
    for name in ("a", "b", "c"):
        held_out = table[name]["lodo"]
        assert held_out["auroc_answerable"] > 0.9
        assert held_out["answerable_handoff_rate"] < 0.3
        assert held_out["unanswerable_handoff_rate"] > 0.6
