"""The bundled MiniLM embedder: conversation-sized calls are cached, ingestion batches are not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from assistant.backends import make_embedder
from assistant.backends.sentence_embedder import CACHED_BATCH, SentenceEmbedder
from assistant.ports import Embedder
from assistant.settings import Settings


def test_cached_vectors_are_the_models_own(embedder: Embedder) -> None:
    assert isinstance(embedder, SentenceEmbedder)
    texts = ["my invoices are not sending", "how do I reset my password?"]
    first = embedder.embed(texts)
    again = embedder.embed([texts[1], "a new message", texts[0]])
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    assert np.allclose(again, embedder._encode([texts[1], "a new message", texts[0]]), atol=1e-6)


@contextmanager
def model_calls(embedder: SentenceEmbedder) -> Iterator[list[int]]:
    """The number of texts in each call that reaches the model itself."""
    seen: list[int] = []
    model = embedder._onnx or embedder._model  # whichever runs the model
    real = model.encode

    def counting(texts: list[str], *args: object, **options: object) -> np.ndarray:  # type: ignore[type-arg]
        seen.append(len(texts))
        return real(texts, *args, **options)  # type: ignore[arg-type]

    model.encode = counting  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del model.encode


def test_the_cache_skips_the_model_for_texts_it_has_seen(embedder: Embedder) -> None:
    assert isinstance(embedder, SentenceEmbedder)
    with model_calls(embedder) as seen:
        embedder.embed(["cache probe one", "cache probe two"])
        embedder.embed(["cache probe two", "cache probe one", "cache probe one", "probe three"])
        embedder.embed([f"chunk {n}" for n in range(CACHED_BATCH + 1)])
        embedder.embed([f"chunk {n}" for n in range(CACHED_BATCH + 1)])
    assert seen == [2, 1, CACHED_BATCH + 1, CACHED_BATCH + 1]


def test_a_cache_of_size_zero_embeds_every_time() -> None:
    embedder = make_embedder(Settings(embed_cache_size=0, embed_coalesce=False))
    assert isinstance(embedder, SentenceEmbedder)
    with model_calls(embedder) as seen:
        first = embedder.embed(["uncached one", "uncached two"])
        again = embedder.embed(["uncached two", "uncached one"])
    assert seen == [2, 2] and np.allclose(first[::-1], again, atol=1e-6)
