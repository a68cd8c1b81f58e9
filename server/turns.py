"""One customer message, answered in a worker thread with a deadline — never a hang.

`HelpDesk.send` already turns a failing LLM into a hand-off. Around it, this module handles
what `send` cannot: the whole turn taking longer than `turn_timeout_seconds`, or the
assistant, the index or a bug raising. Then the conversation is handed to a person with the
reason `backend_unavailable`. Only when the store itself is down does the client get an error
(503 store_unavailable): without the store nothing can be kept or handed off.

A timed-out turn cannot be stopped (Python threads are not cancellable), but it writes nothing
until its end, and only through a gate (`_WriteGate`): either it starts writing before the
deadline and its result stands, or it is abandoned first and writes nothing — a late answer
never lands after the hand-off that replaced it, and the customer's message is stored once.

A streamed turn's checked sentences cross from the worker thread to the event loop, where they
are delivered only while the turn is still awaited: the hand-off that replaces a timed-out turn
is decided on the loop too, so no late sentence of that turn reaches the client after it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.streaming import SentenceSink
from assistant.turn import TurnResult
from server.metrics import Metrics

log = logging.getLogger("answerdesk.server")
# The assistant's failures; anything else an AnswerdeskError says is the client's to hear.
_BACKEND_FAILURES = {
    ErrorCode.INDEX_UNAVAILABLE,
    ErrorCode.MODEL_UNAVAILABLE,
    ErrorCode.CONFIGURATION,
}


class TurnRunner:
    def __init__(self, desk: HelpDesk, timeout: float, threads: int, metrics: Metrics) -> None:
        self.desk = desk
        self.timeout = timeout
        self.metrics = metrics
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="answerdesk-turn")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def send(
        self,
        conversation_id: str,
        token: str,
        text: str,
        on_sentence: SentenceSink | None = None,
    ) -> TurnResult:
        """The turn's result; `on_sentence`, if given, is called on the event loop with each
        checked sentence of a streamed answer, and never once this returns."""
        started = datetime.now(UTC)
        abandoned = threading.Event()
        gate = _WriteGate()
        sink = None if on_sentence is None else _LoopSink(on_sentence, abandoned)
        future = self._pool.submit(self._send, conversation_id, token, text, gate, sink)
        try:
            # On timeout, a turn still queued is cancelled; a running one is abandoned.
            result = await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            if gate.abandon():
                abandoned.set()
                log.warning(
                    "turn in %s took over %.1f s; handing off", conversation_id, self.timeout
                )
                result = await asyncio.to_thread(self._fallback, conversation_id, text, started)
            else:  # it was already writing its result (milliseconds): that result stands
                result = await asyncio.wrap_future(future)
        except AnswerdeskError as error:
            if error.code not in _BACKEND_FAILURES:
                raise
            log.warning("turn in %s failed (%s); handing off", conversation_id, error.message)
            result = await asyncio.to_thread(self._fallback, conversation_id, text, started)
        except Exception:
            log.exception("turn in %s failed; handing off", conversation_id)
            result = await asyncio.to_thread(self._fallback, conversation_id, text, started)
        finally:
            if sink is not None:
                sink.close()
        self.metrics.turn(result.action, result.reasons if result.action == "handoff" else ())
        return result

    def _send(
        self,
        conversation_id: str,
        token: str,
        text: str,
        gate: _WriteGate,
        sink: _LoopSink | None,
    ) -> TurnResult:
        # Pick up a sync committed since the last turn (by `answerdesk ingest`, or another
        # worker): one read of the manifest's meta table.
        self.desk.assistant.index.refresh()
        return self.desk.send(
            conversation_id, token, text, on_sentence=sink, may_write=gate.may_write
        )

    def _fallback(self, conversation_id: str, text: str, started: datetime) -> TurnResult:
        return self.desk.hand_off_unavailable(conversation_id, text, started)


class _LoopSink:
    """Called in the worker thread; hands each sentence to `deliver` on the event loop, which
    drops it once the turn is over (answered, failed or abandoned). Never raises: a customer
    who left must not turn the answer into a failure."""

    def __init__(self, deliver: SentenceSink, abandoned: threading.Event) -> None:
        self._deliver = deliver
        self._abandoned = abandoned
        self._loop = asyncio.get_running_loop()
        self._open = True  # read and written on the loop only

    def __call__(self, sentence: str) -> None:
        if self._abandoned.is_set():
            return
        try:
            self._loop.call_soon_threadsafe(self._on_loop, sentence)
        except RuntimeError:  # the loop is closed: the server is stopping
            log.debug("a sentence arrived after the server stopped")

    def _on_loop(self, sentence: str) -> None:
        # `abandoned` is set on the loop, so this check and the hand-off are ordered.
        if self._open and not self._abandoned.is_set():
            self._deliver(sentence)

    def close(self) -> None:
        self._open = False


class _WriteGate:
    """A turn writes everything at its end (`assistant.turn`): it either starts writing before
    its deadline, and its result stands, or it was abandoned first, and it writes nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "running"

    def may_write(self) -> bool:
        with self._lock:
            if self._state == "abandoned":
                return False
            self._state = "writing"
            return True

    def abandon(self) -> bool:
        """False when the turn is already writing its result."""
        with self._lock:
            if self._state == "writing":
                return False
            self._state = "abandoned"
            return True
