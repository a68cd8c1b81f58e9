"""External evaluation: foreign question rows, hand-off rates per label, the trade-off curve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.external import by_label, external_cases, handoff_rates, tradeoff
from evals.runner import CaseResult


def case(
    id: str,
    expected: str,
    decision: str,
    confidence: float,
    correct: bool = False,
    reason: str | None = None,
    label: str = "ANSWERABLE",
) -> CaseResult:
    return CaseResult(
        id=id, question="q", expected=expected, reason=None,
        tags={"answerability": label, "domain": "d"}, expected_sources=[], decision=decision,
        decision_reason=reason, ranked=[], cited=[], answer="a", draft="a", confidence=confidence,
        grounded_share=1.0, facts=1.0, correct=correct, latency_ms=1.0, threshold=0.5,
    )  # fmt: skip


RESULTS = [
    case("a1", "answer", "answer", 0.9, correct=True),
    case("a2", "answer", "answer", 0.7, correct=False),
    case("a3", "answer", "handoff", 0.3, reason="low_confidence"),
    case("a4", "answer", "handoff", 0.8, reason="angry"),
    case("u1", "handoff", "handoff", 0.2, reason="low_confidence", label="UNANSWERABLE"),
    case("u2", "handoff", "answer", 0.6, label="UNANSWERABLE"),
    case("v1", "clarify", "clarify", 0.4, reason="underspecified", label="UNDERSPECIFIED"),
    case("v2", "clarify", "handoff", 0.1, reason="low_confidence", label="UNDERSPECIFIED"),
]


def test_question_rows_become_cases_with_their_label_and_domain(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    rows = [
        {"id": "1", "question": "q?", "gold_ids": ["d"], "answerable": True, "domain": "fiqa",
         "answerability": "PARTIAL", "history": [{"speaker": "user", "text": "hi"},
                                                 {"speaker": "agent", "text": "hello"}]},
        {"id": "2", "question": "which one?", "answerable": False,
         "answerability": "UNDERSPECIFIED"},
        {"id": "3", "question": "capital of Peru?", "answerable": False},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows))
    partial, vague, other = external_cases(path)
    assert partial.expected == "answer" and partial.messages == ["hi", "q?"]
    assert partial.tags == {"answerability": "PARTIAL", "domain": "fiqa"}
    assert vague.expected == "clarify" and vague.reason is None
    assert other.expected == "handoff" and other.tags["answerability"] == "UNANSWERABLE"


def test_hand_off_rates_count_what_a_team_would_see() -> None:
    rates = handoff_rates(RESULTS)
    assert rates["answerable_handoff_rate"] == pytest.approx(2 / 4)
    assert rates["triage_false_handoff_rate"] == pytest.approx(1 / 4)  # the "angry" one
    assert rates["unanswerable_handoff_rate"] == pytest.approx(3 / 4)  # clarified counts
    assert rates["underspecified_clarify_rate"] == pytest.approx(1 / 2)


def test_figures_per_answerability_label() -> None:
    groups = by_label(RESULTS, "answerability")
    assert set(groups) == {"ANSWERABLE", "UNANSWERABLE", "UNDERSPECIFIED"}
    assert groups["ANSWERABLE"]["answered"] == pytest.approx(0.5)
    assert groups["ANSWERABLE"]["correct_when_answered"] == pytest.approx(0.5)
    assert groups["UNDERSPECIFIED"]["clarified"] == pytest.approx(0.5)


def test_the_tradeoff_curve_answers_less_and_errs_less_as_the_threshold_rises() -> None:
    curve = tradeoff(RESULTS, steps=11)
    assert curve[0]["threshold"] == 0.0 and curve[-1]["threshold"] == 1.0
    answered = [p["answered"] for p in curve]
    wrong = [p["wrong"] for p in curve]
    assert answered == sorted(answered, reverse=True)
    assert wrong == sorted(wrong, reverse=True)
    assert curve[-1]["answered"] == 0.0
    # triage hand-offs stay handed off at any threshold
    assert curve[0]["answered"] == pytest.approx(7 / 8)
