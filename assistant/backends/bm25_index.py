"""The `KeywordIndex` backed by bm25s, persisted as a folder beside the vectors (with the
vocabulary that spelling corrections go to, counted from the same texts)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from assistant.spelling import count_words
from assistant.types import Hit

_IDS_FILE = "chunk_ids.json"
_VOCABULARY_FILE = "vocabulary.json"
KEYWORD_VERSION = "3"  # bump when tokenization changes: indexes are rebuilt on the next sync
_STEMMER = Stemmer.Stemmer("english")


def _tokenize(texts: list[str]) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False)


class Bm25Index:
    def __init__(
        self, retriever: bm25s.BM25, ids: list[str], vocabulary: Mapping[str, int]
    ) -> None:
        self._retriever = retriever
        self._ids = ids
        self.vocabulary = vocabulary

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> Bm25Index:
        retriever = bm25s.BM25()
        if ids:
            retriever.index(_tokenize(list(texts)), show_progress=False)
        return cls(retriever, list(ids), dict(count_words(texts)))

    @classmethod
    def load(cls, directory: str | Path) -> Bm25Index:
        directory = Path(directory)
        ids = json.loads((directory / _IDS_FILE).read_text(encoding="utf-8"))
        words = directory / _VOCABULARY_FILE  # absent from an index built before it was kept
        vocabulary = json.loads(words.read_text(encoding="utf-8")) if words.exists() else {}
        if not ids:
            return cls(bm25s.BM25(), [], vocabulary)
        return cls(bm25s.BM25.load(str(directory), show_progress=False), ids, vocabulary)

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self._ids:
            self._retriever.save(str(directory), show_progress=False)
        (directory / _IDS_FILE).write_text(json.dumps(self._ids), encoding="utf-8")
        (directory / _VOCABULARY_FILE).write_text(json.dumps(self.vocabulary), encoding="utf-8")

    def __len__(self) -> int:
        return len(self._ids)

    def query(self, text: str, k: int) -> list[Hit]:
        if not self._ids:
            return []
        tokens = _tokenize([text])
        if not any(len(t) for t in tokens.ids):
            return []
        k = min(k, len(self._ids))
        docs, scores = self._retriever.retrieve(tokens, k=k, show_progress=False)
        return [
            Hit(chunk_id=self._ids[int(d)], score=float(s))
            for d, s in zip(np.asarray(docs)[0], np.asarray(scores)[0], strict=True)
            if s > 0
        ]
