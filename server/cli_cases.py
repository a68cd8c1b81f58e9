"""`answerdesk cases`: resolved cases on their way into the knowledge base, through review.

    answerdesk cases review [--status candidate] [--json]   what waits for review
    answerdesk cases approve 12 --by dana [--resolution TEXT] [--problem TEXT]
    answerdesk cases reject 12 --by dana --reason TEXT
    answerdesk cases export [--out FILE] [--all] [--dry-run]

The export writes the approved cases in the resolved-cases format `answerdesk ingest` reads (put
the file in a `cases/` source folder), then marks them exported; without `--out` it prints the
JSON lines. Only the problem statement and resolution a reviewer approved leave the store: the
loop is drawn in assistant/store/protocol.py, its rules are in assistant/store/review.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.table import Table

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from server.cli_common import console, fail, out

if TYPE_CHECKING:
    from assistant.store.protocol import Case, KbStatus
    from assistant.store.sql import SqlCaseStore

cases_app = typer.Typer(
    help="Resolved cases into the knowledge base: review, approve, export.", no_args_is_help=True
)
KB_STATUSES = ("none", "candidate", "approved", "rejected", "exported")
By = Annotated[str, typer.Option("--by", help="Your name, recorded as the reviewer.")]


def _store() -> SqlCaseStore:
    from assistant.store.sql import SqlCaseStore  # the database driver only when needed

    return SqlCaseStore.from_settings(Settings())


def _row(case: Case) -> dict[str, object]:
    from assistant.store.review import problem_statement

    return {
        "id": case.id,
        "kb_status": case.kb.status,
        "resolved_at": case.resolved_at.isoformat(timespec="seconds") if case.resolved_at else "",
        "resolved_by": case.claimed_by or "",
        "problem": case.kb.problem or problem_statement(case.summary),
        "resolution": case.kb.resolution or case.resolution or "",
        "reviewed_by": case.kb.reviewed_by or "",
        "reason": case.kb.reason or "",
    }


@cases_app.command("review")
def review_command(
    status: Annotated[
        str, typer.Option(help="Comma-separated: candidate, approved, rejected, exported.")
    ] = "candidate",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List the resolved cases waiting for review (or in another review state), each with the
    problem statement and resolution that approving it as is would export."""
    wanted = [s.strip() for s in status.split(",") if s.strip()]
    try:
        if not wanted or any(s not in KB_STATUSES for s in wanted):
            raise AnswerdeskError(
                ErrorCode.INVALID_INPUT, f"--status: use some of {', '.join(KB_STATUSES)}."
            )
        store = _store()
        try:
            found = store.kb_cases(cast("list[KbStatus]", wanted), limit)
        finally:
            store.close()
    except AnswerdeskError as error:
        raise fail(error) from error
    rows = [_row(c) for c in found]
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table(title=f"cases: {status}")
    for column in ("id", "resolved", "by", "problem", "resolution"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]), str(row["resolved_at"]), str(row["resolved_by"]),
            str(row["problem"]) or "[red](write one: --problem)[/red]", str(row["resolution"]),
        )  # fmt: skip
    out.print(table)
    if rows and wanted == ["candidate"]:
        out.print("approve: answerdesk cases approve ID --by NAME [--resolution …] [--problem …]")


@cases_app.command("approve")
def approve_command(
    case_id: Annotated[int, typer.Argument(help="The case id.", min=1)],
    by: By,
    resolution: Annotated[
        str | None, typer.Option(help="The resolution reworded (default: the agent's).")
    ] = None,
    problem: Annotated[
        str | None, typer.Option(help="The problem statement (default: the proposed one).")
    ] = None,
) -> None:
    """Approve a candidate: its problem statement and resolution go out with the next export."""
    try:
        store = _store()
        try:
            case = store.approve(case_id, by, resolution=resolution, problem=problem)
        finally:
            store.close()
    except AnswerdeskError as error:
        raise fail(error) from error
    out.print(f"approved case {case.id} for the knowledge base")
    out.print(f"problem: {case.kb.problem}")
    out.print(f"resolution: {case.kb.resolution}")


@cases_app.command("reject")
def reject_command(
    case_id: Annotated[int, typer.Argument(help="The case id.", min=1)],
    by: By,
    reason: Annotated[str, typer.Option(help="Why it stays out of the knowledge base.")],
) -> None:
    """Keep a case out of the knowledge base (it can be proposed again later)."""
    try:
        store = _store()
        try:
            store.reject(case_id, by, reason)
        finally:
            store.close()
    except AnswerdeskError as error:
        raise fail(error) from error
    out.print(f"rejected case {case_id}")


@cases_app.command("export")
def export_command(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON lines here (else print them).")
    ] = None,
    include_exported: Annotated[
        bool, typer.Option("--all", help="Include the cases exported before.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print what would go; write and mark nothing."),
    ] = False,
) -> None:
    """Export the approved cases for the next ingest, then mark them exported."""
    from assistant.store import write_jsonl
    from assistant.store.review import kb_record
    from server.exports import kb_export, kb_jsonl

    try:
        store = _store()
        try:
            found = kb_export(store, include_exported=include_exported)
            if out_file is None or dry_run:
                sys.stdout.write(kb_jsonl(found))
                sys.stdout.flush()
            else:
                try:  # atomically: ingest never reads half a file
                    write_jsonl([kb_record(c) for c in found], out_file)
                except OSError as exc:
                    raise AnswerdeskError(
                        ErrorCode.INVALID_INPUT,
                        f"Cannot write {out_file}: {exc.strerror}. Choose another --out.",
                    ) from exc
            marked = 0 if dry_run else store.mark_exported(found)
        finally:
            store.close()
    except AnswerdeskError as error:
        raise fail(error) from error
    if dry_run:
        console.print(f"dry run: {len(found)} cases would be exported; nothing marked")
        return
    where = f" to {out_file}" if out_file is not None else ""
    console.print(f"exported {len(found)} cases{where}; {marked} newly marked exported")
    if marked < sum(c.kb.status == "approved" for c in found):
        console.print(
            "[yellow]note:[/yellow] some cases were approved again meanwhile; their new wording "
            "goes out with the next export"
        )
