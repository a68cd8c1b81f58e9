"""One customer message, answered in a worker thread with a deadline — never a hang.

`HelpDesk.send` already turns a failing LLM into a hand-off. Around it, this module handles
what `send` cannot: the whole turn taking longer than `turn_timeout_seconds`, or the
assistant, the index or a bug raising. Then the conversation is handed to a person with the
reason `backend_unavailable`. Only when the store itself is down does the client get an error
(503 store_unavailable): without the store nothing can be kept or handed off.

A timed-out turn cannot be stopped (Python threads are not cancellable), so each turn writes
through a store that refuses its writes once the turn is abandoned: a late answer never lands
after the hand-off that replaced it, and the customer's message is never stored twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, cast

from assistant.desk import HelpDesk, TurnResult
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.protocol import CaseStore
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

    async def send(self, conversation_id: str, token: str, text: str) -> TurnResult:
        started = datetime.now(UTC)
        abandoned = threading.Event()
        future = self._pool.submit(self._send, conversation_id, token, text, abandoned)
        try:
            # On timeout, a turn still queued is cancelled; a running one is abandoned.
            result = await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            abandoned.set()
            log.warning("turn in %s took over %.1f s; handing off", conversation_id, self.timeout)
            result = await asyncio.to_thread(self._fallback, conversation_id, text, started)
        except AnswerdeskError as error:
            if error.code not in _BACKEND_FAILURES:
                raise
            log.warning("turn in %s failed (%s); handing off", conversation_id, error.message)
            result = await asyncio.to_thread(self._fallback, conversation_id, text, started)
        except Exception:
            log.exception("turn in %s failed; handing off", conversation_id)
            result = await asyncio.to_thread(self._fallback, conversation_id, text, started)
        self.metrics.turn(result.action, result.reasons if result.action == "handoff" else ())
        return result

    def _send(
        self, conversation_id: str, token: str, text: str, abandoned: threading.Event
    ) -> TurnResult:
        # Pick up a sync committed since the last turn (by `answerdesk ingest`, or another
        # worker): one read of the manifest's meta table.
        self.desk.assistant.index.refresh()
        store = cast(CaseStore, _UntilAbandoned(self.desk.store, abandoned))
        return dataclasses.replace(self.desk, store=store).send(conversation_id, token, text)

    def _fallback(self, conversation_id: str, text: str, started: datetime) -> TurnResult:
        return self.desk.hand_off_unavailable(conversation_id, text, started)


class _UntilAbandoned:
    """The store as one turn sees it: its writes are refused once the turn was abandoned."""

    WRITES = frozenset({"add_message", "open_case", "add_feedback", "tag", "add_note"})

    def __init__(self, store: CaseStore, abandoned: threading.Event) -> None:
        self._store = store
        self._abandoned = abandoned

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if name not in self.WRITES:
            return attribute

        def write(*args: Any, **kwargs: Any) -> Any:
            if self._abandoned.is_set():
                raise AnswerdeskError(
                    ErrorCode.CONFLICT, "This turn took too long and was handed off."
                )
            return attribute(*args, **kwargs)

        return write
