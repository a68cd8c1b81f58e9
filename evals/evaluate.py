"""`answerdesk eval`: run a golden set (or an external corpus + questions) and report on it."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.service import SupportAssistant, load_calibration, request_version
from assistant.settings import Settings
from assistant.types import Document
from evals import handoffs
from evals.calibration import fit_calibration
from evals.gate import compare
from evals.golden import GoldenCase, load_golden
from evals.metrics import reliability
from evals.report import SCHEMA_VERSION, write
from evals.runner import CaseResult, run
from evals.summary import by_tag, content_gaps, failures, handoff_by_reason, metrics

Progress = Callable[[int, int], None]


@dataclass
class EvalOutcome:
    results: dict[str, Any]
    regressions: list[dict[str, Any]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def select(cases: Sequence[GoldenCase], tags: Sequence[str], limit: int | None) -> list[GoldenCase]:
    """`--tags category=billing,style=typo`: every given tag must match."""
    wanted = dict(t.split("=", 1) for t in tags if "=" in t)
    chosen = [c for c in cases if all(c.tags.get(k) == v for k, v in wanted.items())]
    return chosen[:limit] if limit else chosen


def summarise(
    results: list[CaseResult], settings: Settings, golden: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    labels = [int(r.correct) for r in results]
    return {
        "schema": SCHEMA_VERSION,
        "golden": golden,
        "backend": settings.chat_backend,
        "threshold": settings.confidence_threshold,
        "prompt_version": request_version(),
        "cases": len(results),
        "metrics": metrics(results),
        "handoff_by_reason": handoff_by_reason(results),
        "by_tag": by_tag(results),
        "reliability": {"confidence": reliability(labels, [r.confidence for r in results])},
        "content_gaps": content_gaps(results),
        "failures": failures(results, settings.confidence_threshold),
        "cases_detail": [r.to_json() for r in results],
        **(extra or {}),
    }


def evaluate(
    settings: Settings,
    golden_path: Path,
    *,
    report_dir: Path | None = None,
    baseline: Path | None = None,
    tolerance: float = 0.02,
    calibrate: bool = False,
    tags: Sequence[str] = (),
    limit: int | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    intake: bool = True,
) -> EvalOutcome:
    cases = select(load_golden(golden_path), tags, limit)
    assistant = SupportAssistant.from_settings(settings)
    results = run(assistant, cases, jobs=jobs, progress=progress)
    extra: dict[str, Any] = {}
    if intake:  # hand-offs through the help desk, with a simulated customer answering
        extra["handoff_intake"] = handoffs.evaluate(assistant, cases, progress)
        extra["anger_detector"] = handoffs.anger_figures(assistant)
    if calibrate:
        fit = fit_calibration(results)
        path = settings.calibration_file or settings.data_dir / "calibration.json"
        fit.calibration.save(path, ece_held_out=fit.ece_after, auroc_held_out=fit.auroc_after)
        extra["calibration"] = {
            "written": str(path),
            "ece_before": fit.ece_before,
            "ece_held_out": fit.ece_after,
            "auroc_correct_held_out": fit.auroc_after,
            "weights": fit.calibration.weights,
        }
        # Re-score with the new calibration so the report shows the run as it now behaves.
        assistant.calibration = load_calibration(settings)
        results = run(assistant, cases, jobs=jobs, progress=progress)
    summary = summarise(results, settings, str(golden_path), extra)
    if intake:
        summary["metrics"]["case_completeness"] = extra["handoff_intake"]["signed_in"]["complete"]
        summary["metrics"]["case_completeness_anonymous"] = extra["handoff_intake"]["anonymous"][
            "complete"
        ]
    if calibrate:
        summary["reliability"] = {
            "before calibration": reliability(fit.labels, fit.before),
            "after (held-out folds)": reliability(fit.labels, fit.held_out),
        }
    outcome = EvalOutcome(summary)
    if baseline is not None:
        old = json.loads(baseline.read_text(encoding="utf-8"))["metrics"]
        summary["comparison"] = compare(summary["metrics"], old, tolerance)
        outcome.regressions = [row for row in summary["comparison"] if row["regressed"]]
    if report_dir is not None:
        outcome.written = write(summary, report_dir)
    return outcome


# --- external benchmarks -------------------------------------------------------------------


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
    cases = []
    for row in load_jsonl(questions):
        history = [t["text"] for t in row.get("history", []) if t.get("speaker") == "user"]
        answerable = bool(row.get("answerable", True))
        cases.append(
            GoldenCase(
                id=str(row["id"]),
                turns=[*history, row["question"]],
                expected_sources=[str(g) for g in row.get("gold_ids", [])],
                expected="answer" if answerable else "handoff",
                reason=None if answerable else "out_of_scope",
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
            source_path=str(corpus),
        )
        for r in load_jsonl(corpus)
    ]


def evaluate_external(
    settings: Settings,
    corpus: Path,
    questions: Path,
    *,
    report_dir: Path | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    index_progress: Progress | None = None,
) -> EvalOutcome:
    from ingest.sync import Indexer

    with tempfile.TemporaryDirectory(prefix="answerdesk-external-") as tmp:
        temp = settings.model_copy(update={"data_dir": Path(tmp), "chroma_url": None})
        indexer = Indexer(temp)
        indexer.sync(documents=corpus_documents(corpus), progress=index_progress)
        indexer.close()
        cases = external_cases(questions)
        assistant = SupportAssistant.from_settings(temp)
        results = run(assistant, cases, jobs=jobs, progress=progress)
        assistant.index.close()
    summary = summarise(results, settings, f"{corpus} + {questions}")
    unanswerable = [r for r in results if not r.answerable]
    answerable = [r for r in results if r.answerable]
    summary["metrics"]["unanswerable_handoff_rate"] = (
        sum(r.decision == "handoff" for r in unanswerable) / len(unanswerable)
        if unanswerable
        else None
    )
    summary["metrics"]["answerable_handoff_rate"] = (
        sum(r.decision == "handoff" for r in answerable) / len(answerable) if answerable else None
    )
    outcome = EvalOutcome(summary)
    if report_dir is not None:
        outcome.written = write(summary, report_dir)
    return outcome
