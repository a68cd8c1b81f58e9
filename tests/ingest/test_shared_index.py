"""Nodes share one index: the manifest and each keyword index version in PostgreSQL, the vectors
on a Chroma server. A node with nothing on its disk serves what another node committed, and a
later commit from anywhere is served at its next refresh."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.index import LiveIndex
from assistant.manifest import SHARED_PREFIX, Manifest, indexed, open_manifest
from assistant.ports import Embedder
from assistant.retrieval import Retriever
from assistant.settings import Settings
from ingest.sync import Indexer
from tests.conftest import WriteFiles, postgres_schema


@pytest.fixture
def database() -> Iterator[str]:
    yield from postgres_schema("shared_index")


@pytest.fixture
def nodes(
    settings: Settings, database: str, chroma_server: str, tmp_path: Path
) -> tuple[Settings, Settings]:
    """Node A indexes; node B has its own (empty) data folder and the same shared engines."""
    shared = {"database_url": database, "chroma_url": chroma_server, "shared_index": True}
    a = settings.model_copy(update=shared)
    b = a.model_copy(update={"data_dir": tmp_path / "node-b"})
    return a, b


def found(index: LiveIndex, settings: Settings, embedder: Embedder, query: str) -> list[str]:
    passages = Retriever(index, embedder, settings).search(query)
    return [p.document_id for p in passages if p.keyword_score is not None]


def test_a_node_with_an_empty_disk_serves_the_index_another_node_committed(
    nodes: tuple[Settings, Settings], embedder: Embedder, write: WriteFiles
) -> None:
    a, b = nodes
    write("billing/refunds.md", "# Refunds\n\nAnnual plans are refunded pro rata within 30 days.\n")
    write("bank/feeds.md", "# Bank feeds\n\nReconnect the bank under Banking for BANK-102.\n")
    assert not indexed(b)
    with Indexer(a, embedder) as indexer:
        indexer.sync()
    assert not (a.index_dir / "manifest.sqlite3").exists()  # the manifest is in the database
    assert indexed(b)

    index = LiveIndex(b)
    try:
        # Dense and keyword search both find it: B fetched the keyword index from the database.
        assert found(index, b, embedder, "refund annual plan")[0] == "article:billing/refunds"

        write("billing/invoices.md", "# Invoice numbering\n\nSet the prefix under Invoices.\n")
        with Indexer(a, embedder) as indexer:
            indexer.sync()
        committed = time.monotonic()
        assert index.refresh()  # every turn refreshes: the next turn serves the new version
        assert "article:billing/invoices" in found(index, b, embedder, "invoice number prefix")
        assert time.monotonic() - committed < 5
    finally:
        index.close()

    manifest = open_manifest(b)
    try:
        # Older versions are forgotten once no commit names them.
        assert manifest.keyword_versions() == {manifest.meta()["keyword_dir"]}
    finally:
        manifest.close()


def test_a_keyword_version_replaced_before_a_node_fetched_it_is_skipped_not_fatal(
    nodes: tuple[Settings, Settings], embedder: Embedder, write: WriteFiles
) -> None:
    a, b = nodes
    write("billing/refunds.md", "# Refunds\n\nAnnual plans are refunded pro rata within 30 days.\n")
    with Indexer(a, embedder) as indexer:
        indexer.sync()
    index = LiveIndex(b)
    try:
        write("billing/invoices.md", "# Invoice numbering\n\nSet the prefix under Invoices.\n")
        with Indexer(a, embedder) as indexer:
            indexer.sync()
            indexer.manifest.forget_keyword_files(keep="none")  # as if a third sync raced it
        assert index.refresh() is False  # B keeps serving what it has
        assert found(index, b, embedder, "refund annual plan")[0] == "article:billing/refunds"
    finally:
        index.close()


def test_an_unreachable_manifest_database_is_a_clear_index_error(
    settings: Settings, chroma_server: str
) -> None:
    down = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    with pytest.raises(AnswerdeskError) as raised:
        Manifest(down, prefix=SHARED_PREFIX).meta()
    assert raised.value.code == ErrorCode.INDEX_UNAVAILABLE
    assert "127.0.0.1:1" in str(raised.value)
    # A node still starts (and says it is not ready) until the database answers.
    node = settings.model_copy(
        update={"database_url": down, "chroma_url": chroma_server, "shared_index": True}
    )
    index = LiveIndex(node)
    with pytest.raises(AnswerdeskError) as refreshed:
        index.refresh()
    assert refreshed.value.code == ErrorCode.INDEX_UNAVAILABLE
    index.close()


def test_a_shared_index_needs_postgresql_and_a_chroma_server(settings: Settings) -> None:
    with pytest.raises(ValueError, match="ANSWERDESK_SHARED_INDEX"):
        settings.model_validate({**settings.model_dump(), "shared_index": True})
