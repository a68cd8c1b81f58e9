"""The live index as its last committed manifest describes it.

Readers open the vectors and the keyword index that the manifest names and look chunks up in
the manifest, so a sync in progress (or one that died) is never half-visible: vectors that the
manifest does not list are ignored. `refresh()` picks up a newer sync.

A Chroma server (or a shared manifest's database) that does not answer when the index opens
does not stop it opening: the vectors raise `INDEX_UNAVAILABLE` until a later `refresh()`
reaches the server (so a server starts, says it is not ready, and hands turns off). Clients are
built outside the lock, by one thread at a time: a slow server never holds up the readers of the
index being served, and while one thread waits for it the others serve the open index (or, with
none open, fail at once).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from assistant.backends import load_keyword_index, make_vector_index
from assistant.confidence import Calibration
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.manifest import indexed, open_manifest
from assistant.ports import KeywordIndex, VectorIndex, Vectors, Where
from assistant.rarity import word_rarity
from assistant.settings import Settings
from assistant.types import Chunk, Hit

T = TypeVar("T")


class LiveIndex:
    def __init__(self, settings: Settings) -> None:
        if not settings.shared_index and not indexed(settings):
            raise AnswerdeskError(
                ErrorCode.INDEX_UNAVAILABLE,
                f"no index at {settings.index_dir}; run `answerdesk ingest` first",
            )
        self.settings = settings
        self.manifest = open_manifest(settings)
        self._lock = threading.Lock()
        self._opening = threading.Lock()  # one thread at a time opens a new generation
        self._generation: tuple[str, str] | None = None
        self._keywords_from = ""  # the keyword dir `keywords` was loaded from
        self._calibration: tuple[str, Calibration | None] = ("", None)
        self._rarity: tuple[object, Mapping[str, float]] = (None, {})
        self._memo: OrderedDict[Hashable, object] = OrderedDict()
        self.vectors: VectorIndex
        self.keywords: KeywordIndex
        try:
            self.refresh()
        except AnswerdeskError as error:
            if isinstance(getattr(self, "vectors", None), Unreachable):
                return
            if not self.manifest.shared or error.code != ErrorCode.INDEX_UNAVAILABLE:
                raise
            # The shared manifest's database is down (or nothing is committed yet): serve
            # nothing until a later refresh reads a committed version.
            self.vectors = Unreachable(error)

    def refresh(self) -> bool:
        """Switch to the latest committed sync, if there is a newer one. Returns True if so."""
        meta = self.manifest.meta()
        if "collection" not in meta:
            raise AnswerdeskError(
                ErrorCode.INDEX_UNAVAILABLE, "the index is empty; run `answerdesk ingest` first"
            )
        generation = (meta["collection"], meta["keyword_dir"])
        if generation == self._generation:
            return False
        if not self._opening.acquire(blocking=False):
            opened = getattr(self, "vectors", None)
            if isinstance(opened, Unreachable):
                raise opened.error
            return False
        try:
            return self._open(generation)
        finally:
            self._opening.release()

    def _open(self, generation: tuple[str, str]) -> bool:
        folder = self.settings.index_dir / generation[1]
        fetch = generation[1] != self._keywords_from and self.manifest.shared
        # Another node committed this version: its keyword index comes from the database.
        if (
            fetch
            and not folder.exists()
            and not self.manifest.fetch_keyword_files(generation[1], folder)
        ):
            if self._generation is None:  # nothing to serve meanwhile
                raise AnswerdeskError(
                    ErrorCode.INDEX_UNAVAILABLE, f"keyword index {generation[1]} is gone"
                )
            return False  # a newer commit replaced it: the next refresh takes that one
        keywords = (
            self.keywords if generation[1] == self._keywords_from else load_keyword_index(folder)
        )
        try:
            vectors: VectorIndex = make_vector_index(self.settings, generation[0])
        except AnswerdeskError as error:
            if not self.settings.chroma_url:
                raise
            vectors = Unreachable(error)  # a server that does not answer: retried next refresh
        with self._lock:
            self.vectors, self.keywords = vectors, keywords
            self._keywords_from = generation[1]
            self._memo.clear()
            if isinstance(vectors, Unreachable):
                raise vectors.error
            self._generation = generation
        return True

    def vocabulary(self) -> Mapping[str, int]:
        """The words of the indexed texts and their counts (empty until an index is open)."""
        keywords = getattr(self, "keywords", None)
        return keywords.vocabulary if keywords is not None else {}

    def rarity(self) -> Mapping[str, float]:
        """Each word's rarity in the indexed texts (`word_rarity`), worked out once per keyword
        index: what tells this knowledge base's passages apart."""
        keywords = getattr(self, "keywords", None)
        if keywords is None:
            return {}
        if self._rarity[0] is not keywords:
            self._rarity = (keywords, word_rarity(keywords.vocabulary))
        return self._rarity[1]

    def calibration(self) -> Calibration | None:
        """The calibration fitted on this index (self-calibration or golden refinement)."""
        from assistant.selfcal import META_KEY, REFINEMENT_KEY, stored

        meta = self.manifest.meta()
        raw = meta.get(META_KEY, "") + "\n" + meta.get(REFINEMENT_KEY, "")
        if raw != self._calibration[0]:
            self._calibration = (raw, stored(meta))
        return self._calibration[1]

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, a value derived from this index alone, kept until a commit opens the
        next generation: every turn led by the same past case looks up the same guidance."""
        with self._lock:
            generation = self._generation
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]  # type: ignore[return-value]
        value = compute()
        self._keep(generation, {key: value})
        return value

    def _keep(self, generation: tuple[str, str] | None, values: Mapping[Hashable, object]) -> None:
        """Into the memo, unless a commit opened another generation while they were computed."""
        with self._lock:
            if generation is not None and generation == self._generation:
                self._memo.update(values)
                while len(self._memo) > self.settings.index_memo_size:
                    self._memo.popitem(last=False)

    @property
    def generation(self) -> tuple[str, str] | None:
        """The committed version being served: its vector collection and keyword folder."""
        return self._generation

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The chunks with these ids. A generation's chunks never change, and the same ones are
        looked up turn after turn (a turn reads about ten from the manifest): they are kept in
        the memo, and only those not there are read."""
        wanted = list(ids)
        found: dict[str, Chunk] = {}
        with self._lock:
            generation = self._generation
            for chunk_id in wanted:
                kept = self._memo.get(("chunk", chunk_id))
                if isinstance(kept, Chunk):
                    found[chunk_id] = kept
        missing = [i for i in wanted if i not in found]
        if not missing:
            return found
        read = self.manifest.get_chunks(missing)
        self._keep(generation, {("chunk", i): c for i, c in read.items()})
        return found | read

    def neighbours(self, chunk: Chunk) -> list[Chunk]:
        """The chunks just before and after `chunk` in the same section, in order."""
        if not chunk.section:
            return [chunk]
        siblings = self.document_chunks(chunk.document_id)
        same = [c for c in siblings if c.section == chunk.section]
        return [c for c in same if abs(c.ordinal - chunk.ordinal) <= 1] or [chunk]

    def document_chunks(self, document_id: str) -> list[Chunk]:
        """Every chunk of one document, in order."""
        return self.remember(
            ("document", document_id), lambda: self.manifest.document_chunks(document_id)
        )

    def close(self) -> None:
        self.manifest.close()


class Unreachable:
    """The vectors while their server does not answer: every call says so."""

    def __init__(self, error: AnswerdeskError) -> None:
        self.error = error

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        raise self.error

    def delete(self, ids: Sequence[str]) -> None:
        raise self.error

    def ids(self) -> set[str]:
        raise self.error

    def query(self, vector: Vectors, k: int, where: Where | None = None) -> list[Hit]:
        raise self.error

    def drop(self) -> None:
        raise self.error
