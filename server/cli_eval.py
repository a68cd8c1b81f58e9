"""`answerdesk eval` and `answerdesk calibrate`: how good the answers are, and how sure to be.

Registered on the `answerdesk` app by `server/cli.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assistant.errors import AnswerdeskError
from assistant.settings import Settings
from server.cli_common import console, fail, out, progress_bar, tracker

# The gate's headline metrics, plus the hand-off rates of an external-corpus run.
EXTERNAL_RATES = (
    "answerable_handoff_rate",
    "answerable_clarify_rate",
    "unanswerable_handoff_rate",
    "underspecified_clarify_rate",
    "triage_false_handoff_rate",
)


def eval_command(
    golden: Annotated[Path, typer.Argument(help="Golden set YAML.")] = Path(
        "data/sample/golden.yaml"
    ),
    backend: Annotated[
        str | None, typer.Option(help="extractive | openai | local (default: settings).")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Write results.json and reports here (default: <data dir>/eval-runs/<run "
            "id>/); every run is listed in the admin console."
        ),
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="A results.json to compare with (regression gate).")
    ] = None,
    tolerance: Annotated[float, typer.Option(help="Allowed drop per metric.")] = 0.02,
    calibrate: Annotated[
        bool,
        typer.Option(help="Refine the index's calibration on this golden set and keep it."),
    ] = False,
    tags: Annotated[list[str] | None, typer.Option(help="Only cases with tag=value.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N cases.")] = None,
    jobs: Annotated[int, typer.Option(help="Cases run in parallel.")] = 1,
    corpus: Annotated[
        Path | None, typer.Option(help="External corpus.jsonl to evaluate on.")
    ] = None,
    questions: Annotated[Path | None, typer.Option(help="External questions.jsonl.")] = None,
    sync: Annotated[bool, typer.Option(help="Sync the index with the sources first.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print results.json to stdout.")] = False,
    conversations: Annotated[
        Path | None,
        typer.Option(
            help="A folder of conversation scripts to run too (default: the bundled ones, "
            "written for the sample knowledge base, when the golden set is the sample's)."
        ),
    ] = None,
) -> None:
    """Run the golden questions and report retrieval, answer, hand-off and confidence metrics."""
    from evals.conversations import SAMPLE_GOLDEN, SCRIPTS
    from evals.evaluate import evaluate, evaluate_external
    from evals.runs import default_report_dir, new_run, record_run
    from ingest.sync import ingest as run_ingest

    settings = Settings()
    if backend:
        settings = settings.model_copy(update={"chat_backend": backend})
    run_id = new_run()
    report = report or default_report_dir(settings, run_id)  # every run keeps a report
    try:
        with progress_bar(as_json) as bar:
            if corpus or questions:
                if not (corpus and questions):
                    raise typer.BadParameter("--corpus and --questions go together")
                outcome = evaluate_external(
                    settings,
                    corpus,
                    questions,
                    report_dir=report,
                    jobs=jobs,
                    progress=tracker(bar, "questions"),
                    index_progress=tracker(bar, "indexing"),
                    calibration_progress=tracker(bar, "self-calibration probes"),
                )
            else:
                if sync:
                    run_ingest(settings, calibration_progress=tracker(bar, "self-calibration"))
                outcome = evaluate(
                    settings,
                    golden,
                    report_dir=report,
                    baseline=baseline,
                    tolerance=tolerance,
                    calibrate=calibrate,
                    tags=tags or [],
                    limit=limit,
                    jobs=jobs,
                    progress=tracker(bar, "evaluating"),
                    conversations=conversations
                    or (SCRIPTS if golden.resolve() == SAMPLE_GOLDEN else None),
                )
    except AnswerdeskError as error:
        raise fail(error) from error
    results = outcome.results
    question_set = questions if corpus and questions else golden
    record_run(settings, run_id, question_set, results, outcome.regressions, report)
    if as_json:
        out.print_json(json.dumps(results, default=str))
    else:
        _print_results(results)
        for path in outcome.written:
            out.print(f"wrote {path}")
    for regression in outcome.regressions:
        console.print(
            f"[red]regression[/red] {regression['metric']}: {regression['baseline']:.3f} → "
            f"{regression['now']:.3f} ({regression['change']:+.3f}, tolerance {tolerance})"
        )
    if outcome.regressions:
        raise typer.Exit(1)


def _print_results(results: dict[str, Any]) -> None:
    from evals.summary import HEADLINE

    table = Table(title=f"eval: {results['cases']} cases ({results['golden']})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    if results.get("comparison"):
        table.add_column("baseline", justify="right")
    baseline_values = {r["metric"]: r for r in results.get("comparison", [])}
    for name in (*HEADLINE, *EXTERNAL_RATES):
        if name not in results["metrics"]:
            continue
        value = results["metrics"][name]
        row = [name, "n/a" if value is None else f"{value:.3f}"]
        if baseline_values:
            old = baseline_values.get(name, {}).get("baseline")
            mark = " ⚠" if baseline_values.get(name, {}).get("regressed") else ""
            row.append(("n/a" if old is None else f"{old:.3f}") + mark)
        table.add_row(*row)
    out.print(table)
    out.print(
        f"operating point: threshold {results['threshold']}, calibration "
        f"{', '.join(results.get('calibrations', [])) or 'n/a'}"
    )
    if "calibration_used" in results:
        used = results["calibration_used"]
        out.print(f"  {used['source']} ({used['details'].get('seconds', '?')} s)")
    for label, m in results.get("external", {}).get("by_answerability", {}).items():
        out.print(
            f"  {label:<15} n={m['cases']:<5} answered {m['answered']:.3f}  handed off "
            f"{m['handed_off']:.3f}  clarified {m['clarified']:.3f}"
        )
    for who, h in results.get("handoff_intake", {}).items():
        if not h["handed_off"]:
            continue
        out.print(
            f"hand-offs ({who.replace('_', ' ')}): {h['handed_off']} of {h['cases']}, "
            f"complete {h['complete']:.3f}, intake questions mean {h['questions_mean']:.2f} "
            f"/ max {h['questions_max']}"
        )
    if "conversations" in results:
        c = results["conversations"]
        out.print(f"conversation scripts: {c['passed']} of {c['scripts']} pass")
        for script in c["failing"]:
            out.print(
                f"  failing {script['id']} ({script['file']}): {len(script['misses'])} misses"
            )
    for split, m in results.get("anger_detector", {}).items():
        out.print(
            f"anger detector on {split.replace('_', ' ')} (n={m['n']}): precision "
            f"{m['precision']:.3f}, recall {m['recall']:.3f}, F1 {m['f1']:.3f}"
        )
    if "calibration" in results:
        c = results["calibration"]
        out.print(
            f"calibration {c['version']} refined and kept in {c['written']}: threshold "
            f"{c['threshold']}, ECE {c['ece_before']:.3f} before, {c['ece_held_out']:.3f} on "
            "held-out folds"
        )
        out.print(
            f"  target precision {c['target_precision']}: on held-out folds it answers "
            f"{c['answered_share_held_out']:.1%} of the golden questions, "
            f"{c['precision_held_out'] or 0:.1%} of them correctly"
        )
        if c["answered_share_held_out"] < 0.5:
            console.print(
                "[yellow]the target precision costs most answers[/yellow]: lower "
                "ANSWERDESK_TARGET_PRECISION, or improve the content behind the failures"
            )


def calibrate_command(
    show: Annotated[
        bool, typer.Option("--show", help="Only show the calibration in use; fit nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
) -> None:
    """Fit the index's confidence calibration from probes made of its own content (no labels)."""
    from assistant.confidence import fallback_calibration
    from assistant.index import LiveIndex
    from ingest.sync import Indexer

    settings = Settings()
    try:
        if not show:
            indexer = Indexer(settings)
            try:
                with progress_bar(as_json) as bar:
                    indexer.calibrate(tracker(bar, "self-calibration probes"))
            finally:
                indexer.close()
        index = LiveIndex(settings)
        calibration = index.calibration()
        index.close()
    except AnswerdeskError as error:
        raise fail(error) from error
    if calibration is None:
        console.print(
            "[yellow]too little content to calibrate from[/yellow]: the packaged fallback "
            "serves (a labelled golden set can refine it: `answerdesk eval --calibrate`)"
        )
        calibration = fallback_calibration()
    if as_json:
        out.print_json(json.dumps(calibration.to_json()))
        return
    out.print(f"calibration {calibration.version}: {calibration.source}")
    out.print(f"  threshold {calibration.threshold} (below it: not sure, hand off)")
    for name, weight in calibration.weights.items():
        out.print(f"  {name:<20} {weight:+.3f}")
    for key, value in (calibration.details or {}).items():
        out.print(f"  {key}: {value}")
