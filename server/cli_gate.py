"""`answerdesk ingest --gate` and `answerdesk index candidate|promote|discard|history`: a
re-index goes live only when the golden set does not get worse (evals/gated.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assistant.errors import AnswerdeskError
from assistant.settings import Settings
from evals.gated import GateOutcome, discard, gated_ingest, held, history, promote
from server.cli_common import console, fail, out, progress_bar, tracker

GOLDEN = Path("data/sample/golden.yaml")


def run_gated(
    paths: list[Path] | None, golden: Path, tolerance: float, limit: int | None, as_json: bool
) -> None:
    """The gated ingest: exit 0 when the candidate went live (or nothing changed), 1 when the
    gate held it back."""
    if not golden.exists():
        raise fail_with(f"no golden set at {golden}: pass --golden PATH (your labelled questions)")
    with progress_bar(as_json) as bar:
        try:
            outcome = gated_ingest(
                Settings(),
                golden,
                paths,
                tolerance=tolerance,
                limit=limit,
                progress=tracker(bar, "candidate: sync, then the golden set on both indexes"),
            )
        except AnswerdeskError as error:
            raise fail(error) from error
    show(outcome, as_json)
    if outcome.decision == "held":
        raise typer.Exit(1)


def candidate_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The re-index the gate held back: what changed and which metrics dropped."""
    show(_waiting(held(Settings())), as_json)


def promote_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Make the held re-index live anyway (the same sync, on the live index)."""
    try:
        with progress_bar(as_json) as bar:
            outcome = promote(Settings(), progress=tracker(bar, "making it live"))
    except AnswerdeskError as error:
        raise fail(error) from error
    show(outcome, as_json)


def discard_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Drop the held re-index; the live index is untouched."""
    show(_waiting(discard(Settings())), as_json)


def history_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Every gated re-index and what became of it."""
    runs = history(Settings())
    if as_json:
        out.print_json(json.dumps([r.to_json() for r in runs]))
        return
    table = Table(title="gated re-indexes")
    for column in ("at", "decision", "added", "updated", "deleted", "regressed"):
        table.add_column(column)
    for run in runs:
        regressed = ", ".join(r["metric"] for r in run.regressions) or "-"
        counts = [str(run.sync.get(k, "")) for k in ("added", "updated", "deleted")]
        table.add_row(run.at, run.decision, *counts, regressed)
    out.print(table)


def show(outcome: GateOutcome, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(outcome.to_json()))
        return
    sync = outcome.sync
    out.print(
        f"re-index {outcome.decision}: {sync.get('added', 0)} added, "
        f"{sync.get('updated', 0)} updated, {sync.get('deleted', 0)} deleted"
        + (f" (golden set {outcome.golden})" if outcome.comparison else "")
    )
    if outcome.comparison:
        table = Table(title="candidate against the live index")
        for column in ("metric", "live", "candidate", "change", ""):
            table.add_column(column, justify="right" if column else "left")
        for row in outcome.comparison:
            if row["now"] is None or row["baseline"] is None:
                continue
            flag = "[red]regressed[/red]" if row["regressed"] else ""
            table.add_row(
                row["metric"],
                f"{row['baseline']:.3f}",
                f"{row['now']:.3f}",
                f"{row['change']:+.3f}",
                flag,
            )
        out.print(table)
    if outcome.decision == "held":
        console.print(
            "[yellow]held back:[/yellow] the live index is unchanged. "
            "`answerdesk index promote` makes it live anyway, `answerdesk index discard` drops it."
        )


def _waiting(outcome: GateOutcome | None) -> GateOutcome:
    if outcome is None:
        console.print("no re-index is waiting")
        raise typer.Exit(1)
    return outcome


def fail_with(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(2)
