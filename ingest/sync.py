"""The sync pipeline: load → redact → defuse → plan → chunk → embed → index → commit → clean up.

Incremental and safe to interrupt. Vectors and the keyword index for the new state are written
first; the manifest commit then makes them live in one transaction; leftovers are removed last.
A run that dies at any point leaves the previous index queryable and consistent with its
manifest, and the next run finishes the job, re-embedding only what is still missing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.backends import (
    build_keyword_index,
    keyword_version,
    make_embedder,
    make_extractive,
    make_vector_index,
    vector_collections,
)
from assistant.confidence import Calibration
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.manifest import ManifestEntry, open_manifest
from assistant.ports import Embedder, VectorIndex, Vectors
from assistant.safety import looks_like_injection, strip_injections
from assistant.selfcal import META_KEY
from assistant.settings import Settings
from assistant.text import RESOLUTION_FIELD
from assistant.types import Chunk, Document
from ingest.case_vectors import with_resolution_vectors
from ingest.chunking import CHUNKER_VERSION, chunk_document, embedding_text
from ingest.loaders import LoadResult, SourceError, load_sources
from ingest.names import find_person_names
from ingest.redact import redact

Progress = Callable[[int, int], None]
EMBED_BATCH = 256  # chunks per embed+upsert step: progress granularity, bounded memory
ADD_BATCH = 2000  # already-embedded chunks per upsert: no model pass to interleave with
# The calibration is fitted again once this share of the documents changed since its fit.
REFIT_DRIFT = 0.1
DRIFT_KEY = "calibration_drift"  # manifest meta: that share so far
REDACTED_KINDS = frozenset({"case"})  # customer data; articles and FAQs are our own text


@dataclass(frozen=True)
class SyncPlan:
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    deleted: list[str]
    kept: list[str]  # in the index, but their source file failed to load this time

    @property
    def changes(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: list[SourceError] = field(default_factory=list)
    chunks: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    rebuilt: bool = False
    plan: SyncPlan | None = None
    calibration: str | None = None  # version of the self-calibration fitted after the sync
    calibration_seconds: float = 0.0
    # Share of documents changed since the calibration in use was fitted, when it was kept.
    calibration_drift: float | None = None

    @property
    def failed(self) -> int:
        return len(self.errors)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "chunks": self.chunks,
            "embedded_chunks": self.embedded_chunks,
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
            "rebuilt": self.rebuilt,
            "calibration": self.calibration,
            "calibration_seconds": round(self.calibration_seconds, 3),
            "calibration_drift": self.calibration_drift,
            "errors": [{"path": e.path, "line": e.line, "reason": e.reason} for e in self.errors],
        }


@dataclass(frozen=True)
class AddReport:
    """Where the time of `Indexer.add_embedded` went, stage by stage."""

    chunks: int
    vector_seconds: float
    keyword_seconds: float
    commit_seconds: float


def document_hash(document: Document) -> str:
    payload = [
        document.kind,
        document.title,
        document.url,
        document.updated_at,
        document.text,
        document.metadata,
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def redact_document(document: Document) -> Document:
    """Remove PII from customer data before anything is embedded or stored."""
    if document.kind not in REDACTED_KINDS:
        return document
    names = [n for n in document.redact_names if "@" not in n]
    names += sorted(find_person_names(document.text))  # colleagues, accountants, clients...
    metadata = dict(document.metadata)
    if isinstance(metadata.get(RESOLUTION_FIELD), str):  # what other customers may be told
        metadata[RESOLUTION_FIELD] = redact(str(metadata[RESOLUTION_FIELD]), names).text
    return replace(
        document,
        title=redact(document.title, names).text,
        text=redact(document.text, names).text,
        metadata=metadata,
        redact_names=(),
    )


def defuse_document(document: Document) -> Document:
    """Drop the sentences addressed to a model ("ignore previous instructions…") before
    anything is indexed: a poisoned article or case never reaches a prompt or a customer."""
    text = strip_injections(document.text)
    if text == document.text and not looks_like_injection(document.title):
        return document
    title = document.title if not looks_like_injection(document.title) else document.id
    return replace(document, title=title, text=text + "\n")


def plan_sync(
    previous: dict[str, ManifestEntry],
    current: dict[str, str],
    failed_paths: set[str],
    rebuild: bool,
) -> SyncPlan:
    """Decide per document; a document whose file failed to load is kept, never deleted."""
    added = sorted(set(current) - set(previous))
    common = sorted(set(current) & set(previous))
    updated = [d for d in common if rebuild or current[d] != previous[d].hash]
    unchanged = [d for d in common if not rebuild and current[d] == previous[d].hash]
    gone = sorted(set(previous) - set(current))
    kept = [d for d in gone if previous[d].source_path in failed_paths]
    deleted = [d for d in gone if previous[d].source_path not in failed_paths]
    return SyncPlan(added, updated, unchanged, deleted, kept)


def _settings_signature(settings: Settings) -> dict[str, str]:
    return {
        "embedding_model": settings.embedding_model,
        "chunker": f"{CHUNKER_VERSION}:{settings.chunk_max_tokens}:{settings.chunk_overlap_tokens}",
        "keyword": keyword_version(),
    }


class Indexer:
    """Runs syncs against the index under `settings.data_dir`."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.manifest = open_manifest(settings)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    def close(self) -> None:
        self.manifest.close()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sync(
        self,
        paths: Sequence[Path] | None = None,
        *,
        full: bool = False,
        dry_run: bool = False,
        progress: Progress | None = None,
        documents: Sequence[Document] | None = None,
        calibration_progress: Progress | None = None,
    ) -> SyncReport:
        """Mirror the sources (or the given `documents`) into the index."""
        started = time.perf_counter()
        if documents is not None:
            loaded = LoadResult(documents=list(documents))
        else:
            loaded = load_sources(paths or self.settings.sources, self.settings.max_file_bytes)
        by_id = {d.id: defuse_document(redact_document(d)) for d in loaded.documents}
        meta = self.manifest.meta()
        signature = _settings_signature(self.settings)
        rebuild = (
            full
            or "collection" not in meta
            or any(meta.get(k) != v for k, v in signature.items() if k != "keyword")
        )
        # A new keyword format needs only the keyword index rebuilt, never the vectors.
        keywords_stale = meta.get("keyword") != signature["keyword"]
        plan = plan_sync(
            self.manifest.entries(),
            {doc_id: document_hash(d) for doc_id, d in by_id.items()},
            loaded.failed_paths,
            rebuild,
        )
        report = SyncReport(
            added=len(plan.added),
            updated=len(plan.updated),
            unchanged=len(plan.unchanged),
            deleted=len(plan.deleted),
            errors=loaded.errors,
            dry_run=dry_run,
            rebuilt=rebuild,
            plan=plan,
        )
        if not dry_run:
            if plan.changes or rebuild or keywords_stale:
                report.embedded_chunks = self._apply(
                    plan, by_id, rebuild, signature, meta, progress
                )
            elif meta.get("pending_cleanup") == "1":
                self._clean_up(self.manifest.meta())
            if self.settings.self_calibrate and self.manifest.chunk_count():
                self._keep_calibrated(report, plan, rebuild, calibration_progress)
        report.chunks = self.manifest.chunk_count() if not dry_run else 0
        report.seconds = time.perf_counter() - started
        return report

    def _keep_calibrated(
        self, report: SyncReport, plan: SyncPlan, rebuild: bool, progress: Progress | None
    ) -> None:
        """Fit the calibration again once the content has drifted from the one it was fitted
        on: a rebuild, or REFIT_DRIFT of the documents changed since. Publishing one article
        into a large help center keeps the calibration (and is citable in seconds, not after
        minutes of probes)."""
        meta = self.manifest.meta()
        changed = len(plan.added) + len(plan.updated) + len(plan.deleted)
        documents = max(1, sum(self.manifest.counts().values()))
        drift = float(meta.get(DRIFT_KEY, "0")) + changed / documents
        if not rebuild and META_KEY in meta and drift < REFIT_DRIFT:
            if changed:
                self.manifest.commit([], [], {DRIFT_KEY: f"{drift:.6f}"})
            report.calibration_drift = round(drift, 4)
            return
        calibrating = time.perf_counter()
        calibration = self.calibrate(progress)
        report.calibration = calibration.version if calibration else None
        report.calibration_seconds = time.perf_counter() - calibrating

    def calibrate(self, progress: Progress | None = None) -> Calibration | None:
        """Fit the index's own confidence calibration from probes and keep it in the manifest.

        Probes are answered by the extractive composer whatever the chat backend: it is
        instant, and the features the calibration uses come from retrieval, not from wording.
        """
        from assistant.index import LiveIndex
        from assistant.selfcal import self_calibrate, store
        from assistant.service import SupportAssistant

        index = LiveIndex(self.settings)
        try:
            assistant = SupportAssistant(
                self.settings, index, self.embedder, make_extractive(), None
            )
            calibration = self_calibrate(
                assistant, self.settings.calibration_probes, self.settings.handoff_target, progress
            )
        finally:
            index.close()
        if calibration is not None:
            store(self.manifest, calibration)
        self.manifest.commit([], [], {DRIFT_KEY: "0"})
        return calibration

    def _apply(
        self,
        plan: SyncPlan,
        documents: dict[str, Document],
        rebuild: bool,
        signature: dict[str, str],
        meta: dict[str, str],
        progress: Progress | None,
    ) -> int:
        """Make the plan live; returns how many chunks were embedded."""
        settings, embedder = self.settings, self.embedder
        collection = f"chunks-{uuid.uuid4().hex[:12]}" if rebuild else meta["collection"]
        index = make_vector_index(settings, collection)

        changed = [documents[d] for d in plan.added + plan.updated]
        if rebuild:  # documents kept from failed files must come along into the new collection
            changed += [doc for d in plan.kept if (doc := self.manifest.document(d))]
        new_chunks = {
            doc.id: chunk_document(
                doc, embedder.count_tokens, settings.chunk_max_tokens, settings.chunk_overlap_tokens
            )
            for doc in changed
        }
        new_chunks = with_resolution_vectors(new_chunks, embedder)
        present = set() if rebuild else index.ids()
        to_embed = [c for chunks in new_chunks.values() for c in chunks if c.id not in present]
        embedded = self._embed_and_upsert(index, to_embed, embedder, progress)

        unchanged_ids = set(plan.unchanged) | (set() if rebuild else set(plan.kept))
        live = [c for c in self.manifest.chunks() if c.document_id in unchanged_ids]
        live += [c for chunks in new_chunks.values() for c in chunks]
        keyword_dir = self._write_keyword_index(live)

        self.manifest.commit(
            upserts=[(doc, document_hash(doc), new_chunks[doc.id]) for doc in changed],
            deletes=plan.deleted,
            meta={
                **signature,
                "collection": collection,
                "keyword_dir": keyword_dir,
                "embedding_name": embedder.name,
                "last_sync": datetime.now(UTC).isoformat(timespec="seconds"),
                "pending_cleanup": "1",
            },
            replace_all=rebuild,
        )
        self._clean_up(self.manifest.meta())
        return embedded

    def add_embedded(
        self,
        documents: Sequence[tuple[Document, list[Chunk]]],
        vectors: Vectors,
        progress: Progress | None = None,
    ) -> AddReport:
        """Add documents whose chunks were embedded elsewhere (`vectors`: one row per chunk, in
        order) to the live index, the way a sync makes changes live: vectors and keyword index
        first, then one manifest commit, then the clean-up.

        For generated text (a benchmark's synthetic documents): nothing is redacted or
        defused here, and the next sync deletes what its sources do not contain.
        """
        meta = self.manifest.meta()
        if "collection" not in meta:
            raise AnswerdeskError(
                ErrorCode.INDEX_UNAVAILABLE, "No index to add to yet: run `answerdesk ingest`."
            )
        chunks = [c for _, doc_chunks in documents for c in doc_chunks]
        if len(chunks) != len(vectors):
            raise AnswerdeskError(
                ErrorCode.INVALID_INPUT, f"{len(chunks)} chunks but {len(vectors)} vectors."
            )
        started = time.perf_counter()
        index = make_vector_index(self.settings, meta["collection"])
        _upsert_batches(
            index,
            chunks,
            lambda start, batch: vectors[start : start + len(batch)],
            ADD_BATCH,
            progress,
        )
        vector_seconds = time.perf_counter() - started

        started = time.perf_counter()
        replaced = {doc.id for doc, _ in documents}
        live = [c for c in self.manifest.chunks() if c.document_id not in replaced] + chunks
        keyword_dir = self._write_keyword_index(live)
        keyword_seconds = time.perf_counter() - started

        started = time.perf_counter()
        self.manifest.commit(
            upserts=[(doc, document_hash(doc), doc_chunks) for doc, doc_chunks in documents],
            deletes=[],
            meta={"keyword_dir": keyword_dir, "pending_cleanup": "1"},
        )
        commit_seconds = time.perf_counter() - started
        self._clean_up(self.manifest.meta())
        return AddReport(len(chunks), vector_seconds, keyword_seconds, commit_seconds)

    def _write_keyword_index(self, live: Sequence[Chunk]) -> str:
        """The keyword index over `live`, in a new directory (named in the manifest commit)."""
        keyword_dir = f"keyword-{uuid.uuid4().hex[:12]}"
        build_keyword_index(
            [c.id for c in live],
            [embedding_text(str(c.metadata.get("title", "")), c.section, c.text) for c in live],
        ).save(str(self.settings.index_dir / keyword_dir))
        if self.manifest.shared:  # the other nodes load it from the database
            self.manifest.store_keyword_files(keyword_dir, self.settings.index_dir / keyword_dir)
        return keyword_dir

    def _embed_and_upsert(
        self, index: VectorIndex, chunks: list[Chunk], embedder: Embedder, progress: Progress | None
    ) -> int:
        def embed(_: int, batch: list[Chunk]) -> Vectors:
            return embedder.embed(
                [embedding_text(str(c.metadata.get("title", "")), c.section, c.text) for c in batch]
            )

        return _upsert_batches(index, chunks, embed, EMBED_BATCH, progress)

    def _clean_up(self, meta: dict[str, str]) -> None:
        """Remove what no committed manifest refers to: old collections, orphans, old dirs."""

        settings = self.settings
        live_collection = meta["collection"]
        for name in vector_collections(settings.index_dir / "chroma", settings.chroma_url):
            if name.startswith("chunks-") and name != live_collection:
                make_vector_index(settings, name).drop()
        index = make_vector_index(settings, live_collection)
        orphans = index.ids() - self.manifest.chunk_ids()
        if orphans:
            index.delete(sorted(orphans))
        for path in settings.index_dir.glob("keyword-*"):
            if path.name != meta["keyword_dir"]:
                shutil.rmtree(path, ignore_errors=True)
        if self.manifest.shared:
            self.manifest.forget_keyword_files(keep=meta["keyword_dir"])
        self.manifest.commit([], [], {"pending_cleanup": "0"})


def _upsert_batches(
    index: VectorIndex,
    chunks: list[Chunk],
    vectors: Callable[[int, list[Chunk]], Vectors],
    size: int,
    progress: Progress | None,
) -> int:
    """Upsert `chunks` `size` at a time, `vectors(start, batch)` giving each batch's vectors."""
    total = len(chunks)
    if progress:
        progress(0, total)
    for start in range(0, total, size):
        batch = chunks[start : start + size]
        index.upsert(batch, vectors(start, batch))
        if progress:
            progress(min(start + size, total), total)
    return total


def ingest(
    settings: Settings,
    paths: Iterable[Path] | None = None,
    embedder: Embedder | None = None,
    **options: Any,
) -> SyncReport:
    """One sync; `embedder`: one already loaded, to share it (else loaded when needed)."""
    indexer = Indexer(settings, embedder)
    try:
        return indexer.sync(list(paths) if paths else None, **options)
    finally:
        indexer.close()
