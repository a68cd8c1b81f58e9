"""The index manifest: which documents and chunks the live index holds, and where.

A sync writes vectors and the keyword index first and then commits the manifest in one
transaction: that commit is the moment the new index goes live. Anything in the vector store
that the manifest does not list is left over from an interrupted run; readers ignore it and the
next sync removes it.

On one machine it is a SQLite file beside the vectors. Where several nodes share one index
(`ANSWERDESK_SHARED_INDEX`: a PostgreSQL `ANSWERDESK_DATABASE_URL` and a Chroma server) it lives
in that database, with each keyword index version's files: every node reads the version
committed last and fetches its keyword index once (`open_manifest`).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.exc import SQLAlchemyError

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from assistant.store.engine import make_engine
from assistant.types import Chunk, Document

Params = dict[str, Any]
Run = Callable[[str, Params | Sequence[Params]], None]  # one statement, or one per row
SHARED_PREFIX = "index_"  # the shared manifest's tables, beside the case store's in one database
_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {p}documents (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, url TEXT NOT NULL,
    updated_at TEXT NOT NULL, source_path TEXT NOT NULL, hash TEXT NOT NULL,
    metadata TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {p}chunks (
    id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES {p}documents(id),
    ordinal INTEGER NOT NULL, section TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}chunks_by_document ON {p}chunks(document_id);
CREATE TABLE IF NOT EXISTS {p}keyword_files (
    version TEXT NOT NULL, name TEXT NOT NULL, data {blob} NOT NULL, PRIMARY KEY (version, name)
);
"""


def open_manifest(settings: Settings) -> Manifest:
    """The manifest `settings` describe: in PostgreSQL with `shared_index` (an explicit setting,
    so an existing deployment's local manifest is not left behind unasked; every node then
    serves the same index), else the local SQLite file."""
    if settings.shared_index:
        assert settings.database_url is not None
        return Manifest(
            settings.database_url, SHARED_PREFIX, settings.database_connect_timeout_seconds
        )
    return Manifest(settings.index_dir / "manifest.sqlite3")


def indexed(settings: Settings) -> bool:
    """Whether a sync has committed an index for `settings` (without creating one)."""
    if not settings.shared_index:
        return (settings.index_dir / "manifest.sqlite3").exists()
    manifest = open_manifest(settings)
    try:
        return "collection" in manifest.meta()
    finally:
        manifest.close()


def _document(row: tuple[Any, ...]) -> Document:
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


class _File:
    """The local SQLite file: one connection, since a turn reads it about ten times."""

    blob = "BLOB"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.location = str(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def rows(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[Run]:
        """`BEGIN IMMEDIATE`: a second writer waits for the file lock instead of failing."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._run
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _run(self, sql: str, params: Params | Sequence[Params]) -> None:
        if isinstance(params, dict):
            self._db.execute(sql, params)
        else:
            self._db.executemany(sql, params)

    def close(self) -> None:
        self._db.close()


class _Database:
    """A database server (PostgreSQL) every node reaches, through SQLAlchemy."""

    blob = "BYTEA"

    def __init__(self, url: str, connect_timeout: float) -> None:
        self._engine = make_engine(url, connect_timeout=connect_timeout)
        self.location = self._engine.url.render_as_string(hide_password=True)
        self._compiled: dict[str, TextClause] = {}

    def _text(self, sql: str) -> TextClause:
        if sql not in self._compiled:
            self._compiled[sql] = text(sql)
        return self._compiled[sql]

    def rows(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        try:
            with self._engine.connect() as db:
                return [tuple(r) for r in db.execute(self._text(sql), params)]
        except SQLAlchemyError as exc:
            raise self.unavailable(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Run]:
        try:
            with self._engine.begin() as db:

                def run(sql: str, params: Params | Sequence[Params]) -> None:
                    db.execute(self._text(sql), params)

                yield run
        except SQLAlchemyError as exc:
            raise self.unavailable(exc) from exc

    def unavailable(self, exc: Exception) -> AnswerdeskError:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        return AnswerdeskError(
            ErrorCode.INDEX_UNAVAILABLE,
            f"the index manifest at {self.location} is unavailable: {reason}",
        )

    def close(self) -> None:
        self._engine.dispose()


def _in(values: Sequence[str]) -> tuple[str, Params]:
    """`(:v0, :v1, …)` and its parameters: an IN list both drivers take."""
    names = [f"v{i}" for i in range(len(values))]
    return "(" + ", ".join(f":{n}" for n in names) + ")", dict(zip(names, values, strict=True))


class Manifest:
    def __init__(self, where: Path | str, prefix: str = "", connect_timeout: float = 5.0) -> None:
        """`where`: a SQLite file, or the URL of the database that holds the manifest (its
        tables are made on first use: a node starts while that database is down)."""
        self.shared = isinstance(where, str)
        self._db: _File | _Database = (
            _Database(where, connect_timeout) if isinstance(where, str) else _File(where)
        )
        self._p = prefix
        self._sql: dict[str, str] = {}
        self._schema_made = False
        if not self.shared:
            self._make_schema()

    def _make_schema(self) -> None:
        with self._db.transaction() as run:
            if self.shared:  # nodes starting together create the tables one at a time
                run("SELECT pg_advisory_xact_lock(hashtext(:name))", {"name": f"{self._p}manifest"})
            for statement in _SCHEMA.format(p=self._p, blob=self._db.blob).split(";"):
                if statement.strip():
                    run(statement, {})
        self._schema_made = True

    @property
    def location(self) -> str:
        """Where it is, to tell people (a file, or the database's URL without its password)."""
        return self._db.location

    def close(self) -> None:
        self._db.close()

    def q(self, sql: str) -> str:
        """`sql` with `{p}` naming this manifest's tables."""
        if sql not in self._sql:
            self._sql[sql] = sql.format(p=self._p)
        return self._sql[sql]

    def _rows(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        if not self._schema_made:
            self._make_schema()
        return self._db.rows(self.q(sql), params or {})

    @contextmanager
    def _transaction(self) -> Iterator[Run]:
        if not self._schema_made:
            self._make_schema()
        with self._db.transaction() as run:
            yield run

    # --- reading -------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return {k: v for k, v in self._rows("SELECT key, value FROM {p}meta")}

    def entries(self) -> dict[str, ManifestEntry]:
        rows = self._rows("SELECT id, kind, source_path, hash FROM {p}documents")
        return {r[0]: ManifestEntry(*r) for r in rows}

    def chunk_ids(self, document_ids: Iterable[str] | None = None) -> set[str]:
        if document_ids is None:
            return {r[0] for r in self._rows("SELECT id FROM {p}chunks")}
        wanted = list(document_ids)
        ids: set[str] = set()
        for start in range(0, len(wanted), 500):
            names, params = _in(wanted[start : start + 500])
            ids.update(r[0] for r in self._rows(_CHUNK_IDS_OF + names, params))
        return ids

    def chunks(self) -> Iterator[Chunk]:
        for row in self._rows(_CHUNKS + " ORDER BY document_id, ordinal"):
            yield _chunk(row)

    def get_chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The live chunks among `ids` (ids the manifest does not list are simply absent)."""
        ids = list(ids)
        found: dict[str, Chunk] = {}
        for start in range(0, len(ids), 500):
            names, params = _in(ids[start : start + 500])
            for row in self._rows(_CHUNKS + " WHERE id IN " + names, params):
                found[row[0]] = _chunk(row)
        return found

    def document_chunks(self, document_id: str) -> list[Chunk]:
        rows = self._rows(
            _CHUNKS + " WHERE document_id = :id ORDER BY ordinal", {"id": document_id}
        )
        return [_chunk(row) for row in rows]

    def document(self, document_id: str) -> Document | None:
        rows = self._rows(_DOCUMENTS + " WHERE id = :id", {"id": document_id})
        return _document(rows[0]) if rows else None

    def documents(self) -> Iterator[Document]:
        for row in self._rows(_DOCUMENTS + " ORDER BY id"):
            yield _document(row)

    def counts(self) -> dict[str, int]:
        rows = self._rows("SELECT kind, COUNT(*) FROM {p}documents GROUP BY kind")
        return {kind: int(n) for kind, n in rows}

    def chunk_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM {p}chunks")[0][0])

    # --- the keyword index's files, where nodes share the manifest ------------------------

    def store_keyword_files(self, version: str, folder: Path) -> None:
        """Keep the files of keyword index `version` (before the commit that names it)."""
        rows = [
            {"version": version, "name": f.name, "data": f.read_bytes()}
            for f in sorted(folder.iterdir())
            if f.is_file()
        ]
        with self._transaction() as run:
            run(self.q("INSERT INTO {p}keyword_files VALUES (:version, :name, :data)"), rows)

    def fetch_keyword_files(self, version: str, folder: Path) -> bool:
        """Write keyword index `version` into `folder`; False if it is gone (a newer sync
        replaced it: the caller serves what it has and takes the newest next time)."""
        files = self._rows(
            "SELECT name, data FROM {p}keyword_files WHERE version = :version", {"version": version}
        )
        if not files:
            return False
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=folder.parent))
        for name, data in files:
            (staging / Path(name).name).write_bytes(bytes(data))
        try:
            staging.rename(folder)  # whole or not at all, even with another reader racing
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
        return folder.exists()

    def keyword_versions(self) -> set[str]:
        """The keyword index versions whose files the database holds."""
        return {r[0] for r in self._rows("SELECT version FROM {p}keyword_files")}

    def forget_keyword_files(self, keep: str) -> None:
        with self._transaction() as run:
            run(self.q("DELETE FROM {p}keyword_files WHERE version <> :keep"), {"keep": keep})

    # --- writing -------------------------------------------------------------------------

    def commit(
        self,
        upserts: Iterable[tuple[Document, str, list[Chunk]]],
        deletes: Iterable[str],
        meta: dict[str, str],
        replace_all: bool = False,
    ) -> None:
        """Apply one sync atomically: the whole change is live, or none of it."""
        q = self.q
        with self._transaction() as run:
            if replace_all:
                run(q("DELETE FROM {p}chunks"), {})
                run(q("DELETE FROM {p}documents"), {})
            for doc_id in deletes:
                run(q("DELETE FROM {p}chunks WHERE document_id = :id"), {"id": doc_id})
                run(q("DELETE FROM {p}documents WHERE id = :id"), {"id": doc_id})
            for document, digest, chunks in upserts:
                run(q("DELETE FROM {p}chunks WHERE document_id = :id"), {"id": document.id})
                run(q(_UPSERT_DOCUMENT), _document_row(document, digest))
                if chunks:
                    run(q(_INSERT_CHUNK), [_chunk_row(c) for c in chunks])
            if meta:
                run(
                    q(
                        "INSERT INTO {p}meta VALUES (:key, :value) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                    ),
                    [{"key": k, "value": v} for k, v in meta.items()],
                )


_CHUNKS = "SELECT id, document_id, ordinal, section, text, metadata FROM {p}chunks"
_CHUNK_IDS_OF = "SELECT id FROM {p}chunks WHERE document_id IN "
_DOCUMENTS = (
    "SELECT id, kind, title, text, url, updated_at, source_path, metadata FROM {p}documents"
)
_INSERT_CHUNK = "INSERT INTO {p}chunks VALUES (:id, :doc, :ordinal, :section, :text, :meta)"
_UPSERT_DOCUMENT = (
    "INSERT INTO {p}documents VALUES (:id, :kind, :title, :url, :updated_at, :source_path, "
    ":hash, :metadata, :text) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
    "title = excluded.title, url = excluded.url, updated_at = excluded.updated_at, "
    "source_path = excluded.source_path, hash = excluded.hash, metadata = excluded.metadata, "
    "text = excluded.text"
)


def _document_row(document: Document, digest: str) -> dict[str, str]:
    return {
        "id": document.id, "kind": document.kind, "title": document.title,
        "url": document.url, "updated_at": document.updated_at,
        "source_path": document.source_path, "hash": digest,
        "metadata": json.dumps(document.metadata), "text": document.text,
    }  # fmt: skip


def _chunk_row(chunk: Chunk) -> Params:
    return {
        "id": chunk.id, "doc": chunk.document_id, "ordinal": chunk.ordinal,
        "section": chunk.section, "text": chunk.text, "meta": json.dumps(chunk.metadata),
    }  # fmt: skip


def _chunk(row: tuple[Any, ...]) -> Chunk:
    cid, doc_id, ordinal, section, body, metadata = row
    return Chunk(cid, doc_id, ordinal, body, section, json.loads(metadata))
