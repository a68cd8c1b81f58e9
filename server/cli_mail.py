"""`answerdesk mail`: customers' emailed replies from a mailbox export, into their cases.

    answerdesk mail ingest FILE      one message (.eml) or a whole mbox

Each reply to one of our emails is stored in its conversation like the inbound hook's
(`POST /v1/inbound/email`); mail that answers none of ours is listed and skipped.
"""

from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Annotated

import typer

from assistant.errors import AnswerdeskError
from assistant.settings import Settings
from server.cli_common import case_store, console, out

mail_app = typer.Typer(
    help="Email follow-up: customers' replies from a mailbox.", no_args_is_help=True
)


def _messages(path: Path) -> list[bytes]:
    """An mbox's messages, or the file as one message."""
    if path.read_bytes()[:5] == b"From ":
        return [message.as_bytes() for message in mailbox.mbox(path)]
    return [path.read_bytes()]


@mail_app.command("ingest")
def ingest_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".eml or mbox")],
) -> None:
    """Store each customer's emailed reply in its conversation."""
    from assistant.mail.inbound import take_reply
    from assistant.mail.links import key_of

    key = key_of(Settings())
    stored = skipped = 0
    with case_store() as store:
        for number, raw in enumerate(_messages(file), start=1):
            try:
                taken = take_reply(store, key, raw)
            except AnswerdeskError as error:
                console.print(f"[yellow]skipped[/yellow] message {number}: {error.message}")
                skipped += 1
                continue
            stored += 1
            reopened = " (case reopened)" if taken.reopened else ""
            out.print(f"message {number} → conversation {taken.conversation_id}{reopened}")
    console.print(f"{stored} replies stored, {skipped} skipped")
    if stored == 0 and skipped:
        raise typer.Exit(1)
