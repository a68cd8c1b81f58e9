"""The index manifest: which documents and chunks the live index holds, and where.

A SQLite file beside the vectors. A sync writes vectors and the keyword index first and then
commits the manifest in one transaction: that commit is the moment the new index goes live.
Anything in the vector store that the manifest does not list is left over from an interrupted
run; readers ignore it and the next sync removes it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.types import Chunk, Document

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, url TEXT NOT NULL,
    updated_at TEXT NOT NULL, source_path TEXT NOT NULL, hash TEXT NOT NULL,
    metadata TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id),
    ordinal INTEGER NOT NULL, section TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id);
"""


_DOCUMENT_COLUMNS = "id, kind, title, text, url, updated_at, source_path, metadata"


def _document(row: tuple[str, ...]) -> Document:
    doc_id, kind, title, text, url, updated_at, source_path, metadata = row
    return Document(
        id=doc_id,
        kind=kind,  # type: ignore[arg-type]
        title=title,
        text=text,
        url=url,
        updated_at=updated_at,
        source_path=source_path,
        metadata=json.loads(metadata),
    )


@dataclass(frozen=True)
class ManifestEntry:
    id: str
    kind: str
    source_path: str
    hash: str


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- reading -------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def entries(self) -> dict[str, ManifestEntry]:
        rows = self._db.execute("SELECT id, kind, source_path, hash FROM documents")
        return {r[0]: ManifestEntry(*r) for r in rows}

    def chunk_ids(self, document_ids: Iterable[str] | None = None) -> set[str]:
        if document_ids is None:
            return {r[0] for r in self._db.execute("SELECT id FROM chunks")}
        ids: set[str] = set()
        for doc_id in document_ids:
            ids.update(
                r[0]
                for r in self._db.execute("SELECT id FROM chunks WHERE document_id = ?", (doc_id,))
            )
        return ids

    def chunks(self) -> Iterator[Chunk]:
        rows = self._db.execute(
            "SELECT id, document_id, ordinal, section, text, metadata FROM chunks "
            "ORDER BY document_id, ordinal"
        )
        for cid, doc_id, ordinal, section, text, metadata in rows:
            yield Chunk(cid, doc_id, ordinal, text, section, json.loads(metadata))

    def get_chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The live chunks among `ids` (ids the manifest does not list are simply absent)."""
        ids = list(ids)
        found: dict[str, Chunk] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self._db.execute(
                "SELECT id, document_id, ordinal, section, text, metadata FROM chunks "
                f"WHERE id IN ({','.join('?' * len(part))})",
                part,
            )
            for cid, doc_id, ordinal, section, text, metadata in rows:
                found[cid] = Chunk(cid, doc_id, ordinal, text, section, json.loads(metadata))
        return found

    def section_chunks(self, document_id: str, section: str) -> list[Chunk]:
        return [c for c in self.document_chunks(document_id) if c.section == section]

    def document_chunks(self, document_id: str) -> list[Chunk]:
        rows = self._db.execute(
            "SELECT id, document_id, ordinal, section, text, metadata FROM chunks "
            "WHERE document_id = ? ORDER BY ordinal",
            (document_id,),
        )
        return [Chunk(c, d, o, t, s, json.loads(m)) for c, d, o, s, t, m in rows]

    def document(self, document_id: str) -> Document | None:
        row = self._db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id = ?", (document_id,)
        ).fetchone()
        return None if row is None else _document(row)

    def documents(self) -> Iterator[Document]:
        for row in self._db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents ORDER BY id"):
            yield _document(row)

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT kind, COUNT(*) FROM documents GROUP BY kind")
        return {kind: n for kind, n in rows}

    def chunk_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    # --- writing -------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def commit(
        self,
        upserts: Iterable[tuple[Document, str, list[Chunk]]],
        deletes: Iterable[str],
        meta: dict[str, str],
        replace_all: bool = False,
    ) -> None:
        """Apply one sync atomically: the whole change is live, or none of it."""
        with self._transaction() as db:
            if replace_all:
                db.execute("DELETE FROM chunks")
                db.execute("DELETE FROM documents")
            for doc_id in deletes:
                db.execute("DELETE FROM chunks WHERE document_id = ?", (doc_id,))
                db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            for document, digest, chunks in upserts:
                db.execute("DELETE FROM chunks WHERE document_id = ?", (document.id,))
                db.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        document.id,
                        document.kind,
                        document.title,
                        document.url,
                        document.updated_at,
                        document.source_path,
                        digest,
                        json.dumps(document.metadata),
                        document.text,
                    ),
                )
                db.executemany(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (c.id, c.document_id, c.ordinal, c.section, c.text, json.dumps(c.metadata))
                        for c in chunks
                    ],
                )
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))
