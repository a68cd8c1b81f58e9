"""The live index keeps what turns derive from it until a commit opens the next generation."""

from __future__ import annotations

from collections.abc import Callable

from assistant.index import LiveIndex
from assistant.settings import Settings
from ingest.sync import Indexer
from tests.conftest import WriteFiles


def counter() -> tuple[list[int], Callable[[], int]]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    return calls, compute


def test_a_derived_value_is_computed_once_per_generation(
    settings: Settings, write: WriteFiles, indexer: Indexer
) -> None:
    write("articles/a.md", "# Invoices\n\nSend an invoice from the Invoices page.\n")
    indexer.sync()
    index = LiveIndex(settings)
    try:
        calls, compute = counter()
        assert index.remember(("guidance", "x"), compute) == 1
        assert index.remember(("guidance", "x"), compute) == 1
        assert len(calls) == 1
        # A commit changes what the index holds: what was derived from the old one is dropped.
        write("articles/b.md", "# Bank feeds\n\nReconnect the bank under Banking.\n")
        indexer.sync()
        assert index.refresh()
        assert index.remember(("guidance", "x"), compute) == 2
    finally:
        index.close()


def test_a_memo_of_size_zero_recomputes_every_time(
    settings: Settings, write: WriteFiles, indexer: Indexer
) -> None:
    write("articles/a.md", "# Invoices\n\nSend an invoice from the Invoices page.\n")
    indexer.sync()
    index = LiveIndex(settings.model_copy(update={"index_memo_size": 0}))
    try:
        calls, compute = counter()
        index.remember("k", compute)
        index.remember("k", compute)
        assert len(calls) == 2
    finally:
        index.close()
