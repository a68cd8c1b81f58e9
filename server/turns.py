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
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from assistant.decision import Decision, explain
from assistant.desk import HandoffInfo, HelpDesk, TurnResult, handoff_text
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.protocol import (
    ACTIVE_STATUSES,
    Case,
    CaseStore,
    Conversation,
    NewCase,
    StoredMessage,
)
from server.metrics import Metrics

log = logging.getLogger("answerdesk.server")
REASON = "backend_unavailable"
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
        """Hand off with `backend_unavailable`, keeping the customer's message exactly once."""
        store = self.desk.store
        conversation = store.conversation(conversation_id)
        transcript = store.transcript(conversation_id)
        said = next(
            (
                m
                for m in reversed(transcript)
                if m.speaker == "customer" and m.text == text.strip() and m.created_at >= started
            ),
            None,
        )
        if said is None:
            said = store.add_message(conversation_id, "customer", text.strip())
            transcript.append(said)
        case = self._case(conversation, transcript)
        info = HandoffInfo(case.id, case.queue, case.status, self.desk.expected_wait(case))
        decision = Decision("handoff", [REASON], explain(REASON))
        reply = handoff_text(decision, info, has_related=False)
        stored = store.add_message(
            conversation_id, "assistant", reply, kind="handoff",
            meta={"action": "handoff", "reasons": [REASON], "related": [], "case_id": case.id},
        )  # fmt: skip
        return TurnResult(
            conversation_id, "handoff", reply, [], None, [REASON], decision.explanation,
            handoff=info, message=stored, customer_message=said,
        )  # fmt: skip

    def _case(self, conversation: Conversation, transcript: list[StoredMessage]) -> Case:
        """The conversation's open case, or a new one with what is known without the
        assistant: the customer's words and why the assistant could not help."""
        active = self.desk.store.list_cases(
            conversation_id=conversation.id, status=ACTIVE_STATUSES, limit=1
        )
        if active:
            return active[0]
        words = [m.text for m in transcript if m.speaker == "customer"]
        issue = words[0].strip().splitlines()[0][:120] if words else "Customer question"
        why = "the assistant was unavailable"
        summary = {
            "customer": asdict(conversation.customer),
            "channel": "chat",
            "issue": issue,
            "category": "general",
            "description": "\n".join(words),
            "tried": [],
            "suggested_articles": [],
            "diagnosis": {
                "text": "Not diagnosed: the assistant's answer service failed or timed out.",
                "sources": [],
                "similar_cases": [],
            },
            "next_steps": [
                "The assistant's answer service failed during this conversation; answer from "
                "the help center directly."
            ],
            "draft_reply": "",
            "priority": {"score": 0.5, "label": "normal", "why": [why]},
            "handoff_reasons": [REASON],
            "explanation": explain(REASON),
            "confidence": None,
            "fields": {},
            "missing": [],
            "transcript": [
                {"speaker": m.speaker, "text": m.text, "created_at": m.created_at.isoformat()}
                for m in transcript
            ],
            "written_by": "fallback",
        }
        new = NewCase(
            summary=summary, priority=0.5, category="general", queue="support",
            reasons=(why,), tags=(REASON,),
        )  # fmt: skip
        try:
            return self.desk.store.open_case(conversation.id, new)
        except AnswerdeskError as error:  # the abandoned turn opened one meanwhile
            again = self.desk.store.list_cases(conversation_id=conversation.id, limit=1)
            if error.code is not ErrorCode.CONFLICT or not again:
                raise
            return again[0]


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
