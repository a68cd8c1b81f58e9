"""One model call for the small embedding calls of turns running at the same time.

On a CPU, a MiniLM call of one short text is largely fixed overhead: calls of eight golden
questions cost 10.6 ms per question against 16.3 ms one by one (1 thread, measured). Concurrent
turns each embed a question or an answer's lead, so the callers that arrive while the model is
busy wait and then go together in the next call. Nobody waits for company: a caller alone is
encoded at once.

Leader and followers, no thread of its own: the caller that finds the model free encodes every
text waiting at that moment (its own among them), hands each caller its vectors, and passes the
lead to the first caller that arrived meanwhile. An error reaches every caller of its batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.ports import Vectors


@dataclass(eq=False)
class _Call:
    texts: list[str]
    vectors: Vectors | None = None
    error: BaseException | None = None
    lead: bool = False
    woken: threading.Event = field(default_factory=threading.Event)


class Coalescer:
    def __init__(self, encode: Callable[[list[str]], Vectors]) -> None:
        self._encode = encode
        self._lock = threading.Lock()
        self._waiting: list[_Call] = []
        self._busy = False
        self.batches = 0  # model calls made, and the callers they served: the batching seen
        self.callers = 0

    def __call__(self, texts: Sequence[str]) -> Vectors:
        call = _Call(list(texts))
        with self._lock:
            self._waiting.append(call)
            follow, self._busy = self._busy, True
        if follow:
            call.woken.wait()
            if not call.lead:
                return _result(call)
        with self._lock:
            batch, self._waiting = self._waiting, []
        self._run(batch)  # (never raises: a failure is handed to the batch's callers)
        with self._lock:  # the next caller in line leads, or the model is free
            if self._waiting:
                self._waiting[0].lead = True
                self._waiting[0].woken.set()
            else:
                self._busy = False
        return _result(call)

    def _run(self, batch: list[_Call]) -> None:
        texts = list(dict.fromkeys(t for c in batch for t in c.texts))
        try:
            by_text = dict(zip(texts, self._encode(texts), strict=True))
            for c in batch:
                c.vectors = np.stack([by_text[t] for t in c.texts])
        except BaseException as error:  # every caller of the batch learns why
            for c in batch:
                c.error = error
        finally:  # no caller is left waiting, whatever failed
            self.batches += 1
            self.callers += len(batch)
            for c in batch:
                c.woken.set()  # (the leader's own call is not waiting: harmless)


def _result(call: _Call) -> Vectors:
    if call.error is not None:
        raise call.error
    assert call.vectors is not None
    return call.vectors
