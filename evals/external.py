"""External evaluation: somebody else's knowledge base and questions, the way a new team would
install answerdesk on it.

The corpus is indexed into a temporary index with the default settings, which includes the
self-calibration from its own content: nothing is fitted on the questions being reported. The
figures that tell the story on a foreign knowledge base are the hand-off rates per answerability
label (answerable questions handed off, unanswerable ones answered), per domain, the operating
point and calibration that produced them, and the trade-off curve (answered share against wrong
share) over every threshold the calibration could have chosen.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.service import SupportAssistant
from assistant.settings import Settings
from assistant.types import Document
from evals.golden import GoldenCase
from evals.runner import CaseResult, run

Progress = Callable[[int, int], None]
TRIAGE_REASONS = ("angry", "human_requested", "repeated_failure")
CONFIDENCE_REASONS = (None, "low_confidence", "underspecified", "out_of_scope")


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: invalid JSON: {exc.msg}") from exc
    return rows


def external_cases(questions: Path) -> list[GoldenCase]:
    """Question rows as golden cases; MTRAG's UNDERSPECIFIED expects a clarifying question."""
    cases = []
    for row in load_jsonl(questions):
        history = [t["text"] for t in row.get("history", []) if t.get("speaker") == "user"]
        label = str(row.get("answerability") or "").upper()
        answerable = bool(row.get("answerable", True))
        expected = "answer" if answerable else "clarify" if label == "UNDERSPECIFIED" else "handoff"
        tags = {"answerability": label or ("ANSWERABLE" if answerable else "UNANSWERABLE")}
        if row.get("domain"):
            tags["domain"] = str(row["domain"])
        cases.append(
            GoldenCase(
                id=str(row["id"]),
                turns=[*history, row["question"]],
                expected_sources=[str(g) for g in row.get("gold_ids", [])],
                expected=expected,
                reason=None if expected != "handoff" else "out_of_scope",
                tags=tags,
            )
        )
    return cases


def corpus_documents(corpus: Path) -> list[Document]:
    return [
        Document(
            id=str(r["id"]),
            kind="article",
            title=str(r.get("title") or r["id"]),
            text=str(r["text"]),
            url=str(r.get("url") or ""),
            source_path=str(corpus),
        )
        for r in load_jsonl(corpus)
    ]


def _rate(results: Sequence[CaseResult], hit: Callable[[CaseResult], bool]) -> float | None:
    return sum(map(hit, results)) / len(results) if results else None


def handoff_rates(results: Sequence[CaseResult]) -> dict[str, float | None]:
    """What a team sees: answerable questions not answered, unanswerable ones not answered."""
    answerable = [r for r in results if r.answerable]
    other = [r for r in results if not r.answerable]
    vague = [r for r in results if r.expected == "clarify"]
    return {
        "answerable_handoff_rate": _rate(answerable, lambda r: r.decision == "handoff"),
        "answerable_clarify_rate": _rate(answerable, lambda r: r.decision == "clarify"),
        "unanswerable_handoff_rate": _rate(other, lambda r: r.decision != "answer"),
        "underspecified_clarify_rate": _rate(vague, lambda r: r.decision == "clarify"),
        "triage_false_handoff_rate": _rate(
            answerable,
            lambda r: (
                r.decision == "handoff"
                and (r.decision_reason in TRIAGE_REASONS or "policy:" in (r.decision_reason or ""))
            ),
        ),
    }


def by_label(results: Sequence[CaseResult], tag: str) -> dict[str, dict[str, Any]]:
    """Per answerability label (or domain): how often each decision was taken."""
    out: dict[str, dict[str, Any]] = {}
    for value in sorted({r.tags.get(tag, "") for r in results} - {""}):
        group = [r for r in results if r.tags.get(tag) == value]
        out[value] = {
            "cases": len(group),
            "answered": _rate(group, lambda r: r.decision == "answer"),
            "handed_off": _rate(group, lambda r: r.decision == "handoff"),
            "clarified": _rate(group, lambda r: r.decision == "clarify"),
            "correct_when_answered": _rate(
                [r for r in group if r.decision == "answer"], lambda r: r.correct
            ),
            **handoff_rates(group),
        }
    return out


def tradeoff(results: Sequence[CaseResult], steps: int = 21) -> list[dict[str, float]]:
    """For each threshold: the share of questions answered and the share answered wrongly
    (unanswerable, or a wrong source) — the curve an operator picks the operating point on.
    Only the confidence threshold moves; triage hand-offs stay as they were."""
    eligible = [r for r in results if r.decision_reason in CONFIDENCE_REASONS]
    curve = []
    for step in range(steps):
        threshold = step / (steps - 1)
        answered = [r for r in eligible if r.draft and r.confidence >= threshold]
        ids = {r.id for r in answered}
        answerable = [r.id in ids for r in results if r.answerable]
        unanswerable = [r.id in ids for r in results if not r.answerable]
        curve.append(
            {
                "threshold": round(threshold, 3),
                "answered": len(answered) / len(results) if results else 0.0,
                "wrong": sum(not r.correct for r in answered) / len(results) if results else 0.0,
                "answerable_handed_off": 1 - sum(answerable) / len(answerable)
                if answerable
                else 0.0,
                "unanswerable_answered": sum(unanswerable) / len(unanswerable)
                if unanswerable
                else 0.0,
            }
        )
    return curve


def run_external(
    settings: Settings,
    corpus: Path,
    questions: Path,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    index_progress: Progress | None = None,
    calibration_progress: Progress | None = None,
) -> tuple[list[CaseResult], dict[str, Any]]:
    """Index the corpus (self-calibrating it), run the questions; results and what to report."""
    from ingest.sync import Indexer

    with tempfile.TemporaryDirectory(prefix="answerdesk-external-") as tmp:
        temp = settings.model_copy(update={"data_dir": Path(tmp), "chroma_url": None})
        with Indexer(temp) as indexer:
            report = indexer.sync(
                documents=corpus_documents(corpus),
                progress=index_progress,
                calibration_progress=calibration_progress,
            )
        assistant = SupportAssistant.from_settings(temp)
        calibration = assistant.current_calibration()
        results = run(assistant, external_cases(questions), jobs=jobs, progress=progress)
        assistant.index.close()
    extra = {
        "external": {
            "documents": report.added,
            "chunks": report.chunks,
            "self_calibration_seconds": round(report.calibration_seconds, 1),
            "by_answerability": by_label(results, "answerability"),
            "by_domain": by_label(results, "domain"),
        },
        "calibration_used": {
            "version": calibration.version,
            "source": calibration.source,
            "threshold": calibration.threshold,
            "weights": calibration.weights,
            "details": calibration.details or {},
        },
    }
    return results, extra
