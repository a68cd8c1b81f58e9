"""Metrics are pure functions; these tables are their specification."""

from __future__ import annotations

import pytest

from evals.metrics import (
    auroc,
    contains_fact,
    ece,
    fact_coverage,
    mrr_at,
    ndcg_at,
    percentile,
    recall_at,
    reliability,
)


@pytest.mark.parametrize(
    ("ranked", "k", "expected"),
    [(["a", "b", "c"], 1, 0.0), (["a", "b", "c"], 2, 1.0), (["x", "y"], 5, 0.0)],
)
def test_recall_is_any_of_the_expected_in_the_top_k(
    ranked: list[str], k: int, expected: float
) -> None:
    assert recall_at(ranked, {"b", "z"}, k) == expected


def test_mrr_and_ndcg() -> None:
    assert mrr_at(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)
    assert mrr_at(["a"], {"c"}) == 0.0
    assert ndcg_at(["c", "a"], {"c"}) == 1.0
    assert ndcg_at(["a", "c"], {"c"}) == pytest.approx(1 / 1.58496, rel=1e-4)


@pytest.mark.parametrize(
    ("answer", "fact", "found"),
    [
        ("Pro costs $29/month.", "$29", True),
        ("Pro costs $290 a year.", "$29", False),
        ("a 14-day free trial", "14 days", True),
        ("up to 5,000 rows per file", "5000 rows", True),
        ("Go to Settings → Billing → Change plan", "Settings → Billing", True),
        ("refunded pro-rata", "pro rata", True),
        ("error TB-429 means", "tb-429", True),
        ("1200 requests per minute", "120 requests", False),
        ("retried on days 3, 5 and 7", "3, 5 and 7", True),
        ("Refunds take 5–10 business days", "10 business days", True),
        ("nothing relevant here", "OFX", False),
    ],
)
def test_facts_match_despite_wording_but_numbers_match_exactly(
    answer: str, fact: str, found: bool
) -> None:
    assert contains_fact(answer, fact) is found


def test_fact_coverage_counts_required_and_forbids_wrong_facts() -> None:
    assert fact_coverage("within 30 days, pro rata", ["30 days", "pro rata"], []) == 1.0
    assert fact_coverage("within 30 days", ["30 days", "pro rata"], []) == 0.5
    assert fact_coverage("within 14 days, pro rata", ["pro rata"], ["14 days"]) == 0.0


def test_auroc_ranks_positives_above_negatives() -> None:
    assert auroc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) == 1.0
    assert auroc([1, 0], [0.5, 0.5]) == 0.5
    assert auroc([1, 1], [0.1, 0.2]) is None


def test_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    labels = [1] * 8 + [0] * 2
    assert ece(labels, [0.8] * 10) == pytest.approx(0.0)
    assert ece(labels, [0.3] * 10) == pytest.approx(0.5)
    [bin_] = reliability(labels, [0.8] * 10)
    assert (bin_["count"], bin_["accuracy"]) == (10, 0.8)


def test_percentiles() -> None:
    assert percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert percentile([], 0.5) is None


def test_the_operating_point_is_the_lowest_threshold_meeting_the_target_precision() -> None:
    from evals.calibration import operating_point

    scores = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    labels = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    assert operating_point(scores, labels, 0.9) == 0.2  # 9 of 10 answers right
    assert operating_point(scores, labels, 1.0) == 0.3
    assert operating_point([0.9] * 12, [0] * 12, 0.9) == 0.9  # unreachable: most precise point
