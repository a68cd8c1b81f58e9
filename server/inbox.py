"""A customer's message is kept the moment it arrives, and kept once.

A turn writes the customer's message together with its reply, at the end (`assistant.turn`).
Alone, that loses a message when the worker dies mid-answer, and stores a message twice when a
client that never saw the reply sends it again. So `receive` stores the message first, then
runs the turn on a store that holds it back (`_Held`): the turn sees the conversation as it was
before the message, and its own write of the message returns the one already stored (its meta
added). A message a crash leaves unanswered is handed off by `server/recovery.py`.

With a client key (the `Idempotency-Key` header; kept in the message's `meta.client_key`,
unique per conversation), a retry gets the reply stored for the first attempt. While that
attempt is still answering, the retry waits for it (up to the turn deadline); an attempt that
died unanswered is handed off with `backend_unavailable`, as its own deadline would have.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

from assistant.decision import explain
from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.handoff.case import HandoffInfo
from assistant.service import validate_question
from assistant.store.conversations import CLIENT_KEY, SqlConversationStore
from assistant.store.protocol import CaseStore, Speaker, StoredMessage
from assistant.turn import Action, TurnResult
from assistant.types import Citation
from server.turns import TurnRunner

log = logging.getLogger("answerdesk.server")
POLL_SECONDS = 0.25
GRACE_SECONDS = 5.0  # past the turn deadline: the first attempt's own hand-off lands first
ACTIONS: dict[str, Action] = {
    "answer": "answer", "clarify": "clarify", "intake": "clarify", "handoff": "handoff",
    "waiting": "waiting",
}  # fmt: skip

Run = Callable[[TurnRunner], Awaitable[TurnResult]]


async def receive(
    turns: TurnRunner,
    conversation_id: str,
    token: str,
    text: str,
    key: str | None = None,
    run: Run | None = None,
) -> TurnResult:
    """Store the message, then answer it with `run` (by default `TurnRunner.send`) on a runner
    whose store holds it back; with a `key` used before, the reply to that message instead."""
    store = sql_store(turns.desk)
    text = validate_question(text, turns.desk.settings.max_question_chars)
    if key is not None:
        earlier = await asyncio.to_thread(store.message_by_key, conversation_id, key)
        if earlier is not None:
            return await reply_to(turns, earlier)
    meta = {CLIENT_KEY: key} if key is not None else None
    try:
        said = await asyncio.to_thread(
            store.add_message, conversation_id, "customer", text, meta=meta
        )
    except AnswerdeskError as error:
        if key is None or error.code is not ErrorCode.CONFLICT:
            raise
        # Another attempt with this key (a retry racing the first) stored it just before us.
        earlier = await asyncio.to_thread(store.message_by_key, conversation_id, key)
        if earlier is None:
            raise
        return await reply_to(turns, earlier)
    held = copy.copy(turns)  # the same threads, deadline and metrics; the message held back
    held.desk = dataclasses.replace(turns.desk, store=cast(CaseStore, _Held(store, said)))
    if run is None:
        return await held.send(conversation_id, token, text)
    return await run(held)


async def reply_to(turns: TurnRunner, said: StoredMessage) -> TurnResult:
    """What the turn for `said` answered. While it is still answering, wait for it; once no
    turn will (its deadline and some grace have passed), hand the conversation off."""
    desk = turns.desk
    give_up = said.created_at + timedelta(seconds=turns.timeout + GRACE_SECONDS)
    while True:
        found = await asyncio.to_thread(stored_reply, desk, said)
        if found is not None:
            return found
        if desk.now() >= give_up:
            log.warning("message %s was never answered; handing off", said.id)
            return await asyncio.to_thread(
                desk.hand_off_unavailable, said.conversation_id, said.text, said.created_at
            )
        await asyncio.sleep(POLL_SECONDS)


def stored_reply(desk: HelpDesk, said: StoredMessage) -> TurnResult | None:
    """The turn result for `said` as the store keeps it; None while no reply is stored."""
    transcript = desk.store.transcript(said.conversation_id)
    after = [m for m in transcript if m.id > said.id]
    reply = next((m for m in after if m.speaker in ("assistant", "customer")), None)
    cid = said.conversation_id
    if reply is None or reply.speaker == "customer":
        cases = desk.store.list_cases(conversation_id=cid, limit=1)
        claimed = cases[0].claimed_at if cases and cases[0].status != "open" else None
        if claimed is None or claimed > said.created_at:
            return None
        # A person had the case when the message came: the assistant stayed silent.
        return TurnResult(
            cid, "agent", "", [], None, [], f"{cases[0].claimed_by} is handling this conversation",
            handoff=desk.handoff_of(cid), customer_message=said,
        )  # fmt: skip
    return replayed(reply, said, desk.handoff_of(cid) if "case_id" in reply.meta else None)


def replayed(reply: StoredMessage, said: StoredMessage, handoff: HandoffInfo | None) -> TurnResult:
    """The turn result a stored reply was, from what the reply keeps (kind, meta, citations)."""
    action = ACTIONS.get(str(reply.meta.get("action") or reply.kind), "answer")
    reasons = [str(r) for r in reply.meta.get("reasons", [])]
    related = [Citation(**c) for c in reply.meta.get("related", [])]
    return TurnResult(
        reply.conversation_id, action, reply.text, list(reply.citations), reply.confidence,
        reasons, explain(reasons[0]) if reasons else "", related=related,
        handoff=handoff if action != "clarify" else None, message=reply, customer_message=said,
        asks_for=[str(f) for f in reply.meta.get("asks_for", [])],
    )  # fmt: skip


def sql_store(desk: HelpDesk) -> SqlConversationStore:
    store = desk.store
    if not isinstance(store, SqlConversationStore):
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION, "The server needs the SQL case store (to keep messages)."
        )
    return store


class _Held:
    """The store as the turn answering `said` sees it: `said` is not in the transcript until
    the turn writes it, and writing the customer's message returns `said` (with the turn's
    meta added) — so the turn, or the hand-off that replaces it, keeps the message once."""

    def __init__(self, store: SqlConversationStore, said: StoredMessage) -> None:
        self._store = store
        self._said = said
        self._written = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def transcript(
        self, conversation_id: str, *, include_notes: bool = False
    ) -> list[StoredMessage]:
        messages = self._store.transcript(conversation_id, include_notes=include_notes)
        if self._written:
            return messages
        return [m for m in messages if m.id != self._said.id]

    def add_message(
        self, conversation_id: str, speaker: Speaker, text: str, **more: Any
    ) -> StoredMessage:
        if speaker != "customer" or conversation_id != self._said.conversation_id:
            return self._store.add_message(conversation_id, speaker, text, **more)
        self._written = True
        meta = more.get("meta")
        return self._store.annotate_message(self._said.id, meta) if meta else self._said
