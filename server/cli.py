"""The `answerdesk` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from assistant.errors import AnswerdeskError
from assistant.settings import Settings

app = typer.Typer(help="answerdesk: a self-hosted support assistant.", no_args_is_help=True)
index_app = typer.Typer(help="Inspect the search index.", no_args_is_help=True)
app.add_typer(index_app, name="index")
console = Console(stderr=True)
out = Console()


def _fail(error: AnswerdeskError) -> typer.Exit:
    console.print(f"[red]error:[/red] {error.message}")
    return typer.Exit(2)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Source folders or files.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-embed everything.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 if any file failed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Index the knowledge base: only new and changed documents are embedded."""
    from ingest.sync import ingest as run_ingest

    settings = Settings()
    with Progress(
        TextColumn("embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    ) as bar:
        task = bar.add_task("embedding", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = run_ingest(settings, paths, full=full, dry_run=dry_run, progress=progress)
        except AnswerdeskError as error:
            raise _fail(error) from error
    if as_json:
        out.print_json(json.dumps(report.to_json()))
    else:
        title = "ingest (dry run: nothing written)" if dry_run else "ingest"
        table = Table(title=title)
        for column in ("added", "updated", "unchanged", "deleted", "failed", "chunks", "seconds"):
            table.add_column(column, justify="right")
        table.add_row(
            *(
                str(report.to_json()[c])
                for c in ("added", "updated", "unchanged", "deleted", "failed", "chunks", "seconds")
            )
        )
        out.print(table)
        if report.embedded_chunks:
            out.print(f"embedded {report.embedded_chunks} chunks")
        for problem in report.errors:
            console.print(f"[yellow]skipped[/yellow] {problem}")
    if strict and report.errors:
        raise typer.Exit(1)


def _progress_bar(label: str, quiet: bool) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )


# The gate's headline metrics, plus the hand-off rates of an external-corpus run.
EXTERNAL_RATES = ("unanswerable_handoff_rate", "answerable_handoff_rate")


@app.command("eval")
def eval_command(
    golden: Annotated[Path, typer.Argument(help="Golden set YAML.")] = Path(
        "data/sample/golden.yaml"
    ),
    backend: Annotated[
        str | None, typer.Option(help="extractive | openai | local (default: settings).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write results.json and reports here.")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="A results.json to compare with (regression gate).")
    ] = None,
    tolerance: Annotated[float, typer.Option(help="Allowed drop per metric.")] = 0.02,
    calibrate: Annotated[
        bool, typer.Option(help="Fit and save the confidence calibration.")
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
) -> None:
    """Run the golden questions and report retrieval, answer, hand-off and confidence metrics."""
    from evals.evaluate import evaluate, evaluate_external
    from evals.summary import HEADLINE
    from ingest.sync import ingest as run_ingest

    settings = Settings()
    if backend:
        settings = settings.model_copy(update={"chat_backend": backend})
    try:
        with _progress_bar("evaluating", as_json) as bar:
            task = bar.add_task("eval", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if corpus or questions:
                if not (corpus and questions):
                    raise typer.BadParameter("--corpus and --questions go together")
                outcome = evaluate_external(
                    settings, corpus, questions, report_dir=report, jobs=jobs, progress=progress
                )
            else:
                if sync:
                    run_ingest(settings)
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
                    progress=progress,
                )
    except AnswerdeskError as error:
        raise _fail(error) from error
    results = outcome.results
    if as_json:
        out.print_json(json.dumps(results, default=str))
    else:
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
        if "calibration" in results:
            c = results["calibration"]
            out.print(
                f"calibration written to {c['written']}: ECE {c['ece_before']:.3f} before, "
                f"{c['ece_held_out']:.3f} on held-out folds"
            )
        for path in outcome.written:
            out.print(f"wrote {path}")
    for regression in outcome.regressions:
        console.print(
            f"[red]regression[/red] {regression['metric']}: {regression['baseline']:.3f} → "
            f"{regression['now']:.3f} ({regression['change']:+.3f}, tolerance {tolerance})"
        )
    if outcome.regressions:
        raise typer.Exit(1)


@app.command("triage")
def triage_command(
    learned: Annotated[
        bool, typer.Option(help="Use the learned anger head (loads the embedding model).")
    ] = True,
) -> None:
    """Read JSON lines {"text": ...} or {"turns": [...]} on stdin; write the signals per line."""
    from assistant.anger import AngerDetector
    from assistant.backends import make_embedder
    from assistant.triage import load_policies, triage
    from assistant.types import Turn

    settings = Settings()
    detector = AngerDetector(make_embedder(settings) if learned else None)
    policies = load_policies()
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            texts = item["turns"] if "turns" in item else [item["text"]]
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise ValueError("`turns` must be a list of strings")
            turns = [Turn("user", t) for t in texts]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            print(
                json.dumps(
                    {"line": number, "error": f"expected {{'text'}} or {{'turns'}}: {reason}"}
                )
            )
            continue
        result = triage(turns, detector, policies)
        print(
            json.dumps(
                {
                    "angry": result.angry,
                    "anger": result.anger,
                    "human_requested": result.human_requested,
                    "repeated_failure": result.repeated_failure,
                    "policy": result.policy,
                    "queue": result.queue,
                    "priority": result.priority,
                    "reasons": result.reasons,
                }
            )
        )


@index_app.command("stats")
def index_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """What is indexed: documents by kind, chunks, model, last sync."""
    from assistant.manifest import Manifest

    settings = Settings()
    path = settings.index_dir / "manifest.sqlite3"
    if not path.exists():
        console.print(f"no index at {settings.index_dir}; run `answerdesk ingest` first")
        raise typer.Exit(1)
    manifest = Manifest(path)
    meta, counts = manifest.meta(), manifest.counts()
    stats = {
        "documents": sum(counts.values()),
        "by_kind": counts,
        "chunks": manifest.chunk_count(),
        "embedding_model": meta.get("embedding_name", meta.get("embedding_model")),
        "last_sync": meta.get("last_sync"),
        "index_dir": str(settings.index_dir),
    }
    if as_json:
        out.print_json(json.dumps(stats))
        return
    table = Table(title="index")
    table.add_column("what")
    table.add_column("value", justify="right")
    for kind, n in sorted(counts.items()):
        table.add_row(f"documents: {kind}", str(n))
    for key in ("documents", "chunks", "embedding_model", "last_sync", "index_dir"):
        table.add_row(key, str(stats[key]))
    out.print(table)


def main() -> None:  # pragma: no cover - console-script entry
    sys.exit(app())
