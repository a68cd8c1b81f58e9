"""The `VectorIndex` backed by Chroma: embedded (`PersistentClient`) or a server (`HttpClient`).

We always pass our own vectors, so collections are opened without an embedding function
(Chroma's default one would download a model) and telemetry is off.

A Chroma server gets a deadline on every request (`ANSWERDESK_CHROMA_TIMEOUT_SECONDS`):
chromadb's HTTP client builds its session without one and sends its first requests while it
is constructed, so a server that accepts connections and never answers would hang start-up
and every turn. chromadb 1.5 has no setting for it; `_bounded` sets it on the session right
after the client builds it, for the clients we build (their settings carry our timeout).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.api.fastapi import FastAPI as ChromaHttp
from chromadb.config import Settings as ChromaSettings
from chromadb.config import System

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.ports import Vectors, Where
from assistant.text import RESOLUTION_VECTOR_FIELD
from assistant.types import Chunk, Hit, Metadata

_BATCH = 2000  # below Chroma's max batch size, and keeps memory flat
_CONNECT_SECONDS = 5.0  # at most, to open a connection (a refused one fails at once)
DEFAULT_TIMEOUT = 15.0


class _ServerSettings(ChromaSettings):
    """Chroma's settings, plus the one its HTTP client lacks: how long to wait for an answer."""

    answerdesk_timeout_seconds: float | None = None


def _bounded(init: Any) -> Any:
    @functools.wraps(init)
    def bounded_init(self: ChromaHttp, system: System) -> None:
        init(self, system)
        seconds = getattr(system.settings, "answerdesk_timeout_seconds", None)
        if seconds is not None:
            connect = min(seconds, _CONNECT_SECONDS)
            self._session.timeout = httpx.Timeout(seconds, connect=connect)

    bounded_init.answerdesk_bounded = True  # type: ignore[attr-defined]
    return bounded_init


if not getattr(ChromaHttp.__init__, "answerdesk_bounded", False):
    setattr(ChromaHttp, "__init__", _bounded(ChromaHttp.__init__))  # noqa: B010


@functools.cache
def _client(path: str | None, url: str | None, timeout: float = DEFAULT_TIMEOUT) -> Any:
    try:
        if url:
            parsed = urlparse(url)
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=_ServerSettings(
                    anonymized_telemetry=False,
                    allow_reset=False,
                    answerdesk_timeout_seconds=timeout,
                ),
            )
        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        return chromadb.PersistentClient(path=cast(str, path), settings=settings)
    except Exception as exc:
        where = url or path
        raise AnswerdeskError(
            ErrorCode.INDEX_UNAVAILABLE, f"cannot reach the Chroma index at {where}: {exc}"
        ) from exc


def _clean_metadata(metadata: Metadata) -> dict[str, Any]:
    # Chroma rejects empty lists and None values; a stored vector is no filter.
    return {
        k: v
        for k, v in metadata.items()
        if v is not None and v != [] and k != RESOLUTION_VECTOR_FIELD
    }


class ChromaIndex:
    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self.name = name
        self._collection = client.get_or_create_collection(
            name=name, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    @classmethod
    def open(
        cls, name: str, *, path: Path, url: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> ChromaIndex:
        """The collection `name`, embedded under `path`, or on the server at `url` (whose
        every request is answered within `timeout` seconds, or fails)."""
        if not url:
            path.mkdir(parents=True, exist_ok=True)
        try:
            return cls(_client(None if url else str(path.resolve()), url, timeout), name)
        except AnswerdeskError:
            raise
        except Exception as exc:
            raise AnswerdeskError(
                ErrorCode.INDEX_UNAVAILABLE, f"cannot open Chroma collection {name!r}: {exc}"
            ) from exc

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        for start in range(0, len(chunks), _BATCH):
            part = chunks[start : start + _BATCH]
            self._collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + _BATCH],
                documents=[c.text for c in part],
                metadatas=[
                    _clean_metadata(
                        {**c.metadata, "document_id": c.document_id, "section": c.section}
                    )
                    for c in part
                ],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), _BATCH):
            self._collection.delete(ids=list(ids[start : start + _BATCH]))

    def ids(self) -> set[str]:
        found: set[str] = set()
        offset = 0
        while True:
            page = self._collection.get(include=[], limit=_BATCH * 5, offset=offset)
            found.update(page["ids"])
            if len(page["ids"]) < _BATCH * 5:
                return found
            offset += len(page["ids"])

    def query(self, vector: Vectors, k: int, where: Where | None = None) -> list[Hit]:
        # Distances only: fetching each hit's document and metadata as well took 70 % of the
        # query's CPU, for copies of what the manifest holds.
        result = self._collection.query(
            query_embeddings=[vector], n_results=k, where=where or None, include=["distances"]
        )
        distances = (result.get("distances") or [[]])[0]
        return [
            Hit(chunk_id=i, score=1.0 - float(d))
            for i, d in zip(result["ids"][0], distances, strict=False)
        ]

    def drop(self) -> None:
        self._client.delete_collection(self.name)


def collection_names(
    path: Path, url: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> list[str]:
    client = _client(None if url else str(path.resolve()), url, timeout)
    return [c if isinstance(c, str) else c.name for c in client.list_collections()]
