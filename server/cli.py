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
