"""What every `answerdesk` command shares: the two consoles, the error exit, the progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from assistant.errors import AnswerdeskError

if TYPE_CHECKING:
    from assistant.store.sql import SqlCaseStore

console = Console(stderr=True)  # progress, warnings, errors
out = Console()  # results


def fail(error: AnswerdeskError) -> typer.Exit:
    console.print(f"[red]error:[/red] {error.message}")
    return typer.Exit(2)


@contextmanager
def case_store() -> Iterator[SqlCaseStore]:
    """The configured store for one command, closed after it; a refusal (`AnswerdeskError`)
    ends the command with its message."""
    from assistant.settings import Settings
    from assistant.store.sql import SqlCaseStore  # the database driver only when needed

    try:
        store = SqlCaseStore.from_settings(Settings())
        try:
            yield store
        finally:
            store.close()
    except AnswerdeskError as error:
        raise fail(error) from error


def progress_bar(quiet: bool) -> Progress:
    """One live display; each `tracker` adds a labelled task to it."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )


def tracker(bar: Progress, label: str) -> Callable[[int, int], None]:
    """A `progress(done, total)` callback that drives one task of `bar`."""
    task = bar.add_task(label, total=None)

    def progress(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return progress
