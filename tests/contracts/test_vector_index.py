"""The VectorIndex contract, run against embedded Chroma and a real `chroma run` server."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from assistant.backends.chroma_index import ChromaIndex
from assistant.errors import AnswerdeskError
from assistant.ports import Embedder, VectorIndex
from assistant.types import Chunk
from tests.conftest import free_port


@pytest.fixture(params=["embedded", "server"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> VectorIndex:
    name = f"contract-{request.node.name[-8:].strip('[]-')}-{time.monotonic_ns()}"
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        return ChromaIndex.open(name, path=tmp_path, url=url)
    return ChromaIndex.open(name, path=tmp_path / "chroma")


def chunk(cid: str, text: str, **metadata: str | list[str]) -> Chunk:
    return Chunk(cid, f"doc-{cid}", 0, text, "Section", {"kind": "article", **metadata})


TEXTS = {
    "a": "Refunds for annual plans are pro rata within 30 days.",
    "b": "Connect your bank account under Banking → Connections.",
    "c": "Turn on two-factor authentication with an authenticator app.",
}


def fill(index: VectorIndex, embedder: Embedder) -> None:
    chunks = [chunk(k, v, audience=["paid"] if k == "a" else ["all"]) for k, v in TEXTS.items()]
    index.upsert(chunks, embedder.embed(list(TEXTS.values())))


@pytest.mark.server
def test_nearest_chunk_comes_first_with_cosine_similarity(
    index: VectorIndex, embedder: Embedder
) -> None:
    fill(index, embedder)
    hits = index.query(embedder.embed(["can I get my money back on a yearly plan"])[0], 3)
    assert hits[0].chunk_id == "a"
    assert 0.3 < hits[0].score <= 1.0 and hits[0].score > hits[1].score
    assert {h.chunk_id for h in hits} == {"a", "b", "c"}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.server
def test_upsert_replaces_and_delete_removes(index: VectorIndex, embedder: Embedder) -> None:
    fill(index, embedder)
    index.upsert([chunk("a", "Changed text")], embedder.embed(["Changed text"]))
    assert index.ids() == {"a", "b", "c"}
    index.delete(["b"])
    assert index.ids() == {"a", "c"}
    hits = index.query(embedder.embed(["Changed text"])[0], 1)
    assert hits[0].chunk_id == "a" and hits[0].score == pytest.approx(1.0, abs=1e-4)


@pytest.mark.server
def test_metadata_filter_restricts_results(index: VectorIndex, embedder: Embedder) -> None:
    fill(index, embedder)
    vector = embedder.embed(["refund"])[0]
    hits = index.query(vector, 3, where={"audience": {"$contains": "all"}})
    assert {h.chunk_id for h in hits} == {"b", "c"}


@pytest.mark.server
def test_drop_removes_the_collection(index: VectorIndex, embedder: Embedder) -> None:
    fill(index, embedder)
    index.drop()
    with pytest.raises(Exception):  # noqa: B017 - each backend raises its own "not found"
        index.ids()


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(AnswerdeskError) as caught:
        ChromaIndex.open("unreachable", path=tmp_path, url=url)
    assert caught.value.code.slug == "index_unavailable"
    assert url in caught.value.message or "127.0.0.1" in caught.value.message


def test_vectors_are_unit_length(embedder: Embedder) -> None:
    vectors = embedder.embed(list(TEXTS.values()))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
