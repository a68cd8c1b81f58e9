"""The live index as its last committed manifest describes it.

Readers open the vectors and the keyword index that the manifest names and look chunks up in
the manifest, so a sync in progress (or one that died) is never half-visible: vectors that the
manifest does not list are ignored. `refresh()` picks up a newer sync.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from assistant.backends import make_vector_index
from assistant.backends.bm25_index import Bm25Index
from assistant.confidence import Calibration
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.manifest import Manifest
from assistant.ports import VectorIndex
from assistant.settings import Settings
from assistant.types import Chunk


class LiveIndex:
    def __init__(self, settings: Settings) -> None:
        path = settings.index_dir / "manifest.sqlite3"
        if not path.exists():
            raise AnswerdeskError(
                ErrorCode.INDEX_UNAVAILABLE,
                f"no index at {settings.index_dir}; run `answerdesk ingest` first",
            )
        self.settings = settings
        self.manifest = Manifest(path)
        self._lock = threading.Lock()
        self._generation: tuple[str, str] | None = None
        self._calibration: tuple[str, Calibration | None] = ("", None)
        self.vectors: VectorIndex
        self.keywords: Bm25Index
        self.refresh()

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
        with self._lock:
            self.vectors = make_vector_index(self.settings, generation[0])
            self.keywords = Bm25Index.load(self.settings.index_dir / generation[1])
            self._generation = generation
        return True

    def calibration(self) -> Calibration | None:
        """The calibration fitted on this index (self-calibration or golden refinement)."""
        from assistant.selfcal import META_KEY, REFINEMENT_KEY, stored

        meta = self.manifest.meta()
        raw = meta.get(META_KEY, "") + "\n" + meta.get(REFINEMENT_KEY, "")
        if raw != self._calibration[0]:
            self._calibration = (raw, stored(meta))
        return self._calibration[1]

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        return self.manifest.get_chunks(ids)

    def neighbours(self, chunk: Chunk) -> list[Chunk]:
        """The chunks just before and after `chunk` in the same section, in order."""
        if not chunk.section:
            return [chunk]
        siblings = self.manifest.section_chunks(chunk.document_id, chunk.section)
        return [c for c in siblings if abs(c.ordinal - chunk.ordinal) <= 1] or [chunk]

    def close(self) -> None:
        self.manifest.close()
