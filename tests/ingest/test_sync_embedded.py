"""Adding already-embedded documents goes through the same writer as a sync: vectors, keyword
index and manifest stay consistent, and the next sync treats the additions like any other."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.backends.bm25_index import Bm25Index
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.ports import Embedder
from assistant.settings import Settings
from assistant.types import Chunk, Document
from ingest.sync import Indexer
from tests.conftest import WriteFiles
from tests.ingest.test_sync import live_state, search, write_articles


def generated(n: int, text: str) -> tuple[Document, list[Chunk]]:
    doc_id = f"faq:generated-{n}"
    meta = {"kind": "faq", "title": f"Generated {n}", "url": "", "updated_at": "2026-01-01"}
    document = Document(doc_id, "faq", f"Generated {n}", text, "", "2026-01-01", "generated", {})
    return document, [Chunk(f"generated-chunk-{n}", doc_id, 0, text, "", meta)]


def test_added_documents_are_live_in_vectors_keywords_and_manifest(
    indexer: Indexer, settings: Settings, embedder: Embedder, write: WriteFiles
) -> None:
    write_articles(write)
    indexer.sync()
    documents = [
        generated(1, "Payroll runs are exported to the pension provider every Friday."),
        generated(2, "Mileage claims need a start and an end address."),
    ]
    vectors = embedder.embed([chunks[0].text for _, chunks in documents])

    report = indexer.add_embedded(documents, vectors)

    assert report.chunks == 2
    listed, stored = live_state(settings)
    assert listed == stored and len(listed) == 5  # no orphan, nothing half-committed
    assert search(settings, embedder, "when is payroll sent to the pension provider")[0] == (
        "faq:generated-1"
    )
    meta = indexer.manifest.meta()
    keyword = Bm25Index.load(settings.index_dir / meta["keyword_dir"])
    assert len(keyword) == 5 and keyword.query("mileage address", 1)
    assert meta["pending_cleanup"] == "0"
    assert sorted(p.name for p in settings.index_dir.glob("keyword-*")) == [meta["keyword_dir"]]

    again = indexer.sync()  # the sources do not have them: an ordinary sync removes them
    assert (again.deleted, again.unchanged) == (2, 3)
    listed, stored = live_state(settings)
    assert listed == stored and len(listed) == 3


def test_adding_needs_an_index_and_one_vector_per_chunk(
    indexer: Indexer, embedder: Embedder, write: WriteFiles
) -> None:
    document = generated(1, "Anything at all.")
    vectors = embedder.embed(["Anything at all."])
    with pytest.raises(AnswerdeskError) as no_index:
        indexer.add_embedded([document], vectors)
    assert no_index.value.code is ErrorCode.INDEX_UNAVAILABLE

    write_articles(write)
    indexer.sync()
    with pytest.raises(AnswerdeskError) as mismatch:
        indexer.add_embedded([document], np.vstack([vectors, vectors]))
    assert mismatch.value.code is ErrorCode.INVALID_INPUT
    assert "faq:generated-1" not in indexer.manifest.entries()
