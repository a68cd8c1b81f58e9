"""The seams of answerdesk: one small Protocol each; backends live in `assistant.backends`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from assistant.types import Chunk, Draft, GenerationRequest, Hit, Message

Vectors = npt.NDArray[np.float32]
Where = dict[str, Any]


class Embedder(Protocol):
    """Turns texts into unit-length vectors (cosine similarity = dot product)."""

    name: str
    dimension: int
    max_tokens: int  # the model's own input limit, in its tokenizer's tokens

    def embed(self, texts: Sequence[str]) -> Vectors: ...

    def count_tokens(self, text: str) -> int: ...


class VectorIndex(Protocol):
    """Dense vectors of chunks, addressed by chunk id, in one named collection."""

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def ids(self) -> set[str]: ...

    def query(self, vector: Vectors, k: int, where: Where | None = None) -> list[Hit]:
        """The `k` nearest chunks: ids and cosine scores only. Their text and metadata are
        the manifest's, read once for the dense and keyword hits together."""
        ...

    def drop(self) -> None: ...


class KeywordIndex(Protocol):
    """Lexical (BM25) search over chunk texts; built whole, saved, loaded."""

    vocabulary: Mapping[str, int]  # each word of the texts and its count: spelling's targets

    def query(self, text: str, k: int) -> list[Hit]: ...

    def save(self, directory: str) -> None: ...


class ChatModel(Protocol):
    """Writes the answer from numbered passages (and, for LLMs, free-form completions)."""

    name: str

    def generate(self, request: GenerationRequest) -> Draft: ...

    def stream(self, request: GenerationRequest) -> Iterator[str]: ...

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        """Free-form completion; None when the backend has none (use the fallback)."""
        ...
