"""`answerdesk eval`: run a golden set (or an external corpus + questions) and report on it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.confidence import fallback_calibration
from assistant.ports import Embedder
from assistant.selfcal import META_KEY, measuring, store_refinement, stored
from assistant.service import SupportAssistant, load_calibration, request_version
from assistant.settings import Settings
from evals import conversations as scripts
from evals import graded, handoffs
from evals.calibration import fit_calibration
from evals.external import handoff_rates, run_external, tradeoff
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
        "threshold": _threshold(results),
        "calibrations": _calibrations(results),
        "prompt_version": request_version(),
        "cases": len(results),
        "metrics": metrics(results),
        "handoff_by_reason": handoff_by_reason(results),
        "by_tag": by_tag(results),
        "reliability": {"confidence": reliability(labels, [r.confidence for r in results])},
        "content_gaps": content_gaps(results),
        "tradeoff": tradeoff(results),
        "failures": failures(results),
        "cases_detail": [r.to_json() for r in results],
        **(extra or {}),
    }


def _threshold(results: Sequence[CaseResult]) -> float | None:
    return results[0].threshold if results else None


def _calibrations(results: Sequence[CaseResult]) -> list[str]:
    return sorted({r.calibration for r in results})


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
    conversations: Path | None = None,
    embedder: Embedder | None = None,
) -> EvalOutcome:
    """`conversations`: a folder of conversation scripts to run too (`--limit` applies);
    `embedder`: one already loaded, to share it."""
    cases = select(load_golden(golden_path), tags, limit)
    assistant = SupportAssistant.from_settings(settings, embedder)
    # A calibration is fitted on measured features, not on their stand-ins.
    scoring = measuring(assistant) if calibrate else assistant
    results = run(scoring, cases, jobs=jobs, progress=progress)
    extra: dict[str, Any] = {}
    if intake:  # hand-offs through the help desk, with a simulated customer answering
        extra["handoff_intake"] = handoffs.evaluate(assistant, cases, progress)
        extra["anger_detector"] = handoffs.anger_figures(assistant)
    if conversations is not None:  # multi-turn scripts with per-turn expectations
        extra["conversations"] = scripts.evaluate(assistant, conversations, limit, progress)
    if calibrate:
        meta = assistant.index.manifest.meta()  # refine the self-calibration, never a refinement
        base = stored({META_KEY: meta.get(META_KEY, "")}) or fallback_calibration()
        fit = fit_calibration(results, base, settings.target_precision)
        store_refinement(assistant.index.manifest, fit.refinement)
        written = str(assistant.index.manifest.location)
        if settings.calibration_file is not None:
            fit.calibration.save(settings.calibration_file)
            written = str(settings.calibration_file)
        extra["calibration"] = {
            "written": written,
            "version": fit.calibration.version,
            "threshold": fit.calibration.threshold,
            "ece_before": fit.ece_before,
            "ece_held_out": fit.ece_after,
            "auroc_correct_held_out": fit.auroc_after,
            "target_precision": settings.target_precision,
            "answered_share_held_out": (fit.refinement.details or {}).get(
                "answered_share_held_out"
            ),
            "precision_held_out": (fit.refinement.details or {}).get("precision_held_out"),
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
    if conversations is not None:
        summary["metrics"]["conversation_pass_rate"] = extra["conversations"]["pass_rate"]
    if settings.chat_backend == "extractive" and golden_path.resolve() == graded.GOLDEN:
        # The hand-graded batch (evals/data/graded): its shares, and which graded answers
        # this run no longer gives word for word.
        summary["graded"] = graded.figures(results)
        summary["metrics"]["graded_good_share"] = summary["graded"]["good"]
        summary["metrics"]["graded_poor_share"] = summary["graded"]["poor"]
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


def evaluate_external(
    settings: Settings,
    corpus: Path,
    questions: Path,
    *,
    report_dir: Path | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    index_progress: Progress | None = None,
    calibration_progress: Progress | None = None,
) -> EvalOutcome:
    results, extra = run_external(
        settings,
        corpus,
        questions,
        jobs=jobs,
        progress=progress,
        index_progress=index_progress,
        calibration_progress=calibration_progress,
    )
    summary = summarise(results, settings, f"{corpus} + {questions}", extra)
    summary["metrics"].update(handoff_rates(results))
    outcome = EvalOutcome(summary)
    if report_dir is not None:
        outcome.written = write(summary, report_dir)
    return outcome
