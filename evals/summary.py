"""From per-case results to the headline metrics, per tag, failures and content gaps."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from statistics import mean
from typing import Any

from evals.metrics import auroc, ece, mrr_at, ndcg_at, percentile, precision_recall, recall_at
from evals.runner import CaseResult

HEADLINE = (
    "recall_at_1",
    "recall_at_3",
    "recall_at_5",
    "mrr_at_10",
    "ndcg_at_5",
    "fact_coverage",
    "citation_precision",
    "grounded_share",
    "handoff_precision",
    "handoff_recall",
    "self_service_rate",
    "confidently_wrong_rate",
    "auroc_answerable",
    "auroc_correct",
    "ece",
    "case_completeness",
    "case_completeness_anonymous",
    "latency_p50_ms",
    "latency_p95_ms",
)
# Direction of "better", for the regression gate.
LOWER_IS_BETTER = {"confidently_wrong_rate", "ece", "latency_p50_ms", "latency_p95_ms"}


def _mean(values: Sequence[float]) -> float | None:
    return mean(values) if values else None


def metrics(results: Sequence[CaseResult]) -> dict[str, float | None]:
    with_sources = [r for r in results if r.expected_sources]
    answerable = [r for r in results if r.answerable]
    answered = [r for r in results if r.decision == "answer"]
    precision, recall = precision_recall(
        [r.decision == "handoff" for r in results], [r.expected == "handoff" for r in results]
    )
    cited = [r for r in answered if r.cited]
    return {
        "cases": float(len(results)),
        **{
            f"recall_at_{k}": _mean(
                [recall_at(r.ranked, set(r.expected_sources), k) for r in with_sources]
            )
            for k in (1, 3, 5)
        },
        "mrr_at_10": _mean([mrr_at(r.ranked, set(r.expected_sources)) for r in with_sources]),
        "ndcg_at_5": _mean([ndcg_at(r.ranked, set(r.expected_sources)) for r in with_sources]),
        "fact_coverage": _mean([r.facts for r in answerable]),
        "citation_precision": _mean(
            [
                len(set(r.cited) & set(r.expected_sources)) / len(set(r.cited))
                for r in cited
                if r.expected_sources
            ]
        ),
        "grounded_share": _mean([r.grounded_share for r in answered]),
        "handoff_precision": precision,
        "handoff_recall": recall,
        "self_service_rate": _mean(
            [float(r.decision == "answer" and r.correct) for r in answerable]
        ),
        "confidently_wrong_rate": _mean([float(not r.correct) for r in answered]),
        "auroc_answerable": auroc(
            [int(r.answerable) for r in results], [r.confidence for r in results]
        ),
        "auroc_correct": auroc(
            [int(r.correct) for r in answerable], [r.confidence for r in answerable]
        ),
        "ece": ece([int(r.correct) for r in results], [r.confidence for r in results]),
        "latency_p50_ms": percentile([r.latency_ms for r in results], 0.5),
        "latency_p95_ms": percentile([r.latency_ms for r in results], 0.95),
    }


def by_tag(results: Sequence[CaseResult]) -> dict[str, dict[str, dict[str, float | None]]]:
    groups: dict[str, dict[str, list[CaseResult]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        for key, value in r.tags.items():
            groups[key][value].append(r)
    keep = (
        "cases",
        "recall_at_5",
        "fact_coverage",
        "self_service_rate",
        "handoff_recall",
        "confidently_wrong_rate",
    )
    return {
        key: {
            value: {m: v for m, v in metrics(rs).items() if m in keep}
            for value, rs in sorted(values.items())
        }
        for key, values in sorted(groups.items())
    }


def handoff_by_reason(results: Sequence[CaseResult]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for reason in sorted({r.reason for r in results if r.reason}):
        cases = [r for r in results if r.reason == reason]
        out[reason] = {"cases": len(cases), "recall": mean(r.decision == "handoff" for r in cases)}
    return out


def failures(results: Sequence[CaseResult]) -> list[dict[str, Any]]:
    """Each case the assistant got wrong, with what it retrieved and said."""
    out = []
    for r in results:
        problems = []
        if r.expected_sources and not set(r.ranked[:5]) & set(r.expected_sources):
            problems.append("expected source not retrieved in top 5")
        if r.expected == "answer" and r.decision != "answer":
            problems.append(f"handed off ({r.decision_reason}) but answerable")
        if r.expected == "answer" and r.decision == "answer" and not r.correct:
            problems.append(
                "answered wrongly" + (" above threshold" if r.confidence >= r.threshold else "")
            )
        if r.expected != "answer" and r.decision == "answer":
            problems.append(f"answered but expected {r.expected} ({r.reason})")
        if problems:
            out.append(
                {
                    "id": r.id,
                    "question": r.question,
                    "problems": problems,
                    "expected_sources": r.expected_sources,
                    "retrieved": r.ranked[:5],
                    "answer": r.draft or r.answer,
                    "confidence": r.confidence,
                }
            )
    return out


def content_gaps(results: Sequence[CaseResult], limit: int = 15) -> list[dict[str, Any]]:
    """What to write next: questions handed off for lack of knowledge, grouped by the nearest
    article (the one they landed closest to), most frequent first."""
    gaps = [
        r
        for r in results
        if r.decision != "answer" and r.decision_reason in {"low_confidence", "out_of_scope", None}
    ]
    groups: dict[str, list[str]] = defaultdict(list)
    for r in gaps:
        groups[r.ranked[0] if r.ranked else "(nothing close)"].append(r.question)
    counted = Counter({k: len(v) for k, v in groups.items()})
    return [
        {"nearest": doc, "count": n, "questions": groups[doc][:5]}
        for doc, n in counted.most_common(limit)
    ]
