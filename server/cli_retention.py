"""`answerdesk purge` and `answerdesk erase`: delete customers' conversations for good.

    answerdesk purge --older-than 90d [--dry-run]   conversations with nothing for 90 days
    answerdesk erase --email maria@bakery.example   one customer's data (a GDPR erasure)

Both print how many conversations, messages, cases and feedback went (or, with --dry-run,
would go). The store decides what qualifies: `Retention` in assistant/store/protocol.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from server.cli_common import fail, out

if TYPE_CHECKING:
    from assistant.store.protocol import Erased
    from assistant.store.sql import SqlCaseStore

_AGE = re.compile(r"(?P<n>\d{1,5})\s*(?P<unit>[hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """ "90d" → 90 days; hours (h), days (d) and weeks (w)."""
    match = _AGE.fullmatch(text.strip().lower())
    if match is None:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT,
            f"--older-than takes a number and a unit, like 90d, 12w or 36h; not {text!r}.",
        )
    return timedelta(**{_UNITS[match["unit"]]: int(match["n"])})


def _report(title: str, erased: Erased, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(asdict(erased)))
        return
    table = Table(title=title)
    counts = asdict(erased)
    for column in counts:
        table.add_column(column, justify="right")
    table.add_row(*(str(n) for n in counts.values()))
    out.print(table)


def _store() -> SqlCaseStore:
    from assistant.store.sql import SqlCaseStore  # the database driver only when needed

    return SqlCaseStore.from_settings(Settings())


def purge_command(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age of the last activity, e.g. 90d, 12w, 36h.")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Delete conversations with nothing newer than the cutoff (messages, resolved cases and
    feedback with them); conversations with an unresolved case are kept."""
    try:
        before = datetime.now(UTC) - parse_age(older_than)
        store = _store()
        try:
            erased = store.purge(before, dry_run=dry_run)
        finally:
            store.close()
    except AnswerdeskError as error:
        raise fail(error) from error
    title = "purge (dry run: nothing deleted)" if dry_run else "purge: deleted"
    _report(title, erased, as_json)
    if not as_json:
        out.print(f"cutoff: nothing since {before.isoformat(timespec='seconds')}")


def erase_command(
    email: Annotated[str, typer.Option("--email", help="The customer's account email.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Delete every conversation of one customer, with its messages, cases and feedback."""
    try:
        store = _store()
        try:
            erased = store.erase_customer(email, dry_run=dry_run)
        finally:
            store.close()
    except AnswerdeskError as error:
        raise fail(error) from error
    _report("erase (dry run: nothing deleted)" if dry_run else "erase: deleted", erased, as_json)
