"""The live index keeps what turns derive from it until a commit opens the next generation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from assistant.index import LiveIndex
from assistant.settings import Settings
from ingest.sync import Indexer
from tests.conftest import WriteFiles


@contextmanager
def live_index(
    settings: Settings, write: WriteFiles, indexer: Indexer, article: str, **changes: object
) -> Iterator[LiveIndex]:
    """The live index (`settings` with `changes`) over one indexed article, closed afterwards."""
    write("articles/a.md", article)
    indexer.sync()
    index = LiveIndex(settings.model_copy(update=changes))
    try:
        yield index
    finally:
        index.close()


def counter() -> tuple[list[int], Callable[[], int]]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    return calls, compute


def test_a_derived_value_is_computed_once_per_generation(
    settings: Settings, write: WriteFiles, indexer: Indexer
) -> None:
    with live_index(
        settings, write, indexer, "# Invoices\n\nSend an invoice from the Invoices page.\n"
    ) as index:
        calls, compute = counter()
        assert index.remember(("guidance", "x"), compute) == 1
        assert index.remember(("guidance", "x"), compute) == 1
        assert len(calls) == 1
        # A commit changes what the index holds: what was derived from the old one is dropped.
        write("articles/b.md", "# Bank feeds\n\nReconnect the bank under Banking.\n")
        indexer.sync()
        assert index.refresh()
        assert index.remember(("guidance", "x"), compute) == 2


def test_a_memo_of_size_zero_recomputes_every_time(
    settings: Settings, write: WriteFiles, indexer: Indexer
) -> None:
    with live_index(
        settings,
        write,
        indexer,
        "# Invoices\n\nSend an invoice from the Invoices page.\n",
        index_memo_size=0,
    ) as index:
        calls, compute = counter()
        index.remember("k", compute)
        index.remember("k", compute)
        assert len(calls) == 2


def test_chunks_are_read_from_the_manifest_once_per_generation(
    settings: Settings, write: WriteFiles, indexer: Indexer
) -> None:
    with live_index(
        settings,
        write,
        indexer,
        "# Invoices\n\n## Send\n\nSend an invoice from the Invoices page.\n",
    ) as index:
        (chunk,) = index.manifest.chunks()
        reads: list[list[str]] = []
        read = index.manifest.get_chunks
        index.manifest.get_chunks = lambda ids: reads.append(list(ids)) or read(ids)  # type: ignore[method-assign]
        assert index.chunks([chunk.id]) == index.chunks([chunk.id]) == {chunk.id: chunk}
        assert index.neighbours(chunk) == index.neighbours(chunk) == [chunk]
        assert reads == [[chunk.id]]
        # A commit opens the next generation: its chunks are read again, as they now are.
        write("articles/a.md", "# Invoices\n\n## Send\n\nSend invoices from the Sales page.\n")
        indexer.sync()
        assert index.refresh()
        (changed,) = index.manifest.chunks()
        assert "Sales page" in index.chunks([changed.id])[changed.id].text
        assert "Sales page" in index.neighbours(changed)[0].text


def test_word_rarity_comes_from_the_indexed_texts_and_follows_a_commit(
    settings: Settings, write: WriteFiles, indexer: Indexer
) -> None:
    with live_index(
        settings,
        write,
        indexer,
        "# Invoices\n\nSend an invoice from the Invoices page. Invoices can be copied.\n",
    ) as index:
        first = index.rarity()
        assert first["invoic"] < first["copi"]  # stemmed: "invoice" is everywhere here
        assert index.rarity() is first
        write("articles/b.md", "# Bank feeds\n\nReconnect the bank under Banking.\n")
        indexer.sync()
        assert index.refresh()
        assert "reconnect" in index.rarity() and "reconnect" not in first
