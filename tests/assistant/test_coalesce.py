"""Concurrent embedding calls share one model call: same vectors, fewer calls, shared errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.backends.coalesce import Coalescer
from assistant.backends.sentence_embedder import SentenceEmbedder
from assistant.ports import Embedder, Vectors


class Model:
    """A stand-in model: a text's vector is its length; the first call holds until released."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()
        self.fail = False

    def __call__(self, texts: list[str]) -> Vectors:
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            assert self.release.wait(10)
        if self.fail:
            raise RuntimeError("the model broke")
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)


def queued(coalescer: Coalescer, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(coalescer._waiting) < count:
        assert time.monotonic() < deadline, "the callers never queued"
        time.sleep(0.005)


def run_together(coalescer: Coalescer, model: Model, asks: Sequence[list[str]]) -> list[object]:
    """The first ask starts the model; the others arrive while it runs."""
    with ThreadPoolExecutor(len(asks)) as pool:
        first = pool.submit(coalescer, asks[0])
        while not model.calls:
            time.sleep(0.005)
        rest = [pool.submit(coalescer, ask) for ask in asks[1:]]
        queued(coalescer, len(asks) - 1)
        model.release.set()
        out: list[object] = []
        for future in [first, *rest]:
            try:
                out.append(future.result(10))
            except RuntimeError as error:
                out.append(error)
        return out


def test_a_caller_alone_goes_straight_to_the_model() -> None:
    model = Model()
    model.release.set()
    coalescer = Coalescer(model)
    assert coalescer(["one"]).tolist() == [[3.0]]
    assert model.calls == [["one"]] and coalescer._busy is False


def test_callers_arriving_while_the_model_runs_share_its_next_call() -> None:
    model, asks = Model(), [["first"], ["a", "bb"], ["ccc"], ["bb", "dddd"], ["eeeee"]]
    coalescer = Coalescer(model)
    results = run_together(coalescer, model, asks)
    assert len(model.calls) == 2  # the first alone, then the four that queued behind it
    assert sorted(model.calls[1]) == ["a", "bb", "ccc", "dddd", "eeeee"]  # "bb" once
    for ask, vectors in zip(asks, results, strict=True):
        assert isinstance(vectors, np.ndarray)
        assert vectors[:, 0].tolist() == [float(len(t)) for t in ask]
    assert (coalescer.batches, coalescer.callers) == (2, 5) and coalescer._busy is False


def test_a_failing_model_call_fails_each_of_its_callers_and_the_next_call_works() -> None:
    model = Model()
    model.fail = True
    coalescer = Coalescer(model)
    results = run_together(coalescer, model, [["x"], ["y"], ["z"]])
    assert all(isinstance(r, RuntimeError) for r in results)
    model.fail = False
    assert coalescer(["again"]).tolist() == [[5.0]]


def test_concurrent_turns_get_the_vectors_each_would_get_alone(embedder: Embedder) -> None:
    assert isinstance(embedder, SentenceEmbedder)
    texts = [
        f"question {n}: why did my bank feed stop syncing after the {n} reconnect attempt"
        if n % 2
        else f"short {n}"
        for n in range(24)
    ]
    alone = embedder._encode(texts)
    coalescer = Coalescer(embedder._encode)
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda t: coalescer([t])[0], texts))
    assert np.allclose(np.stack(together), alone, atol=1e-5)
    assert coalescer.callers == len(texts)


def test_a_model_answering_too_few_vectors_fails_its_callers_instead_of_hanging() -> None:
    coalescer = Coalescer(lambda texts: np.zeros((len(texts) - 1, 1), dtype=np.float32))
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(coalescer, [f"text {n}"]) for n in range(4)]
        for future in futures:
            with pytest.raises(ValueError):
                future.result(10)
    assert coalescer._busy is False and coalescer.callers == 4


@pytest.mark.parametrize("coalesce", [True, False])
def test_the_setting_chooses_whether_calls_are_coalesced(coalesce: bool) -> None:
    from assistant.backends import make_embedder
    from assistant.settings import Settings

    made = make_embedder(Settings(embed_coalesce=coalesce))
    assert isinstance(made, SentenceEmbedder)
    assert isinstance(made._small, Coalescer) is coalesce
