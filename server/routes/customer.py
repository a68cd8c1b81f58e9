"""Customer routes: start a conversation, send messages (JSON or streamed), read it back,
give feedback. Each message passes the limits before anything is stored."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request, Response
from fastapi.responses import StreamingResponse

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.identity import verify
from assistant.mail.links import key_of, open_link
from assistant.store.protocol import Customer
from server import inbox
from server.auth import CustomerToken
from server.limits import check_message_length, client_ip
from server.schemas import (
    ConversationOut,
    FeedbackIn,
    FollowUpIn,
    MessageIn,
    NewConversationIn,
    NewConversationOut,
    OkOut,
    ResumeIn,
    TurnReply,
    errors,
    handoff,
    message,
    turn_reply,
)
from server.state import Desk, RuntimeDep

router = APIRouter(prefix="/v1/conversations", tags=["customer"])
log = logging.getLogger("answerdesk.server")


@router.post(
    "",
    status_code=201,
    summary="Start a conversation",
    description="Returns the conversation's id and its secret token (shown once).",
    responses=errors(400, 401, 413, 429, 503),
)
def start(
    runtime: RuntimeDep,
    desk: Desk,
    request: Request,
    body: Annotated[NewConversationIn | None, Body()] = None,
) -> NewConversationOut:
    runtime.limiter.admit(("ip", client_ip(request), runtime.settings.rate_limit_ip_per_minute))
    given = body or NewConversationIn()
    secret = runtime.settings.identity_secret
    customer = verify(
        Customer(**given.customer.model_dump()),
        given.signature,
        secret.get_secret_value() if secret else None,
    )
    new = desk.start(customer)
    return NewConversationOut(id=new.id, token=new.token)


@router.post(
    "/{conversation_id}/messages",
    response_model=TurnReply,
    summary="Send a message and get the reply",
    description="With `Accept: text/event-stream` the reply streams as server-sent events: "
    "a `sentence` event for each sentence of the answer as soon as a language model has "
    "written it and it passed the grounding check (none with the extractive backend, which "
    "answers at once), then `retract` if the turn did not answer after all (the sentences "
    "shown must be removed), then `reply` (the whole TurnReply: what to show), then `done`.\n\n"
    "Send an `Idempotency-Key` (a fresh random string per message, e.g. a UUID) and send the "
    "same key when you retry: a message already received under that key is not stored again, "
    "and the reply is the one stored for it (if it is still being answered, the request waits "
    "for that answer).",
    responses={
        **errors(400, 401, 404, 413, 429, 503),
        200: {"content": {"text/event-stream": {}}},
    },
)
async def send(
    conversation_id: str,
    body: MessageIn,
    token: CustomerToken,
    runtime: RuntimeDep,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=r"^[A-Za-z0-9._:-]{8,128}$",
            description="The client's key for this message; a retry sends the same one.",
        ),
    ] = None,
) -> TurnReply | Response:
    settings = runtime.settings
    check_message_length(body.text, min(settings.max_message_chars, settings.max_question_chars))
    runtime.limiter.admit(
        ("conversation", conversation_id, settings.rate_limit_conversation_per_minute),
        ("ip", client_ip(request), settings.rate_limit_ip_per_minute),
    )
    turns = runtime.turns
    assert turns is not None
    if "text/event-stream" not in request.headers.get("accept", ""):
        return turn_reply(
            await inbox.receive(turns, conversation_id, token, body.text, idempotency_key)
        )
    sentences: asyncio.Queue[str] = asyncio.Queue()

    async def streamed_turn() -> TurnReply:
        result = await inbox.receive(
            turns,
            conversation_id,
            token,
            body.text,
            idempotency_key,
            lambda held: held.send(conversation_id, token, body.text, sentences.put_nowait),
        )
        return turn_reply(result)

    turn = asyncio.ensure_future(streamed_turn())
    turn.add_done_callback(_retrieve)
    first = await _next(turn, sentences)
    if first is None:
        turn.result()  # a refusal (wrong token, invalid text) is a plain JSON error, not a stream
    return StreamingResponse(
        _events(turn, sentences, first),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _next(turn: asyncio.Future[TurnReply], sentences: asyncio.Queue[str]) -> str | None:
    """The turn's next checked sentence, or None once the turn is over and none is left."""
    if sentences.empty() and not turn.done():
        getter = asyncio.ensure_future(sentences.get())
        either: set[asyncio.Future[Any]] = {turn, getter}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()  # a sentence it was about to take stays in the queue
    return None if sentences.empty() else sentences.get_nowait()


async def _events(
    turn: asyncio.Future[TurnReply], sentences: asyncio.Queue[str], first: str | None
) -> AsyncIterator[str]:
    # Each sentence was checked against the passages before it was queued; the reply that
    # follows is authoritative (the whole answer, re-checked, or what replaced it).
    shown: list[str] = []
    try:
        sentence = first
        while sentence is not None:
            shown.append(sentence)
            yield _event("sentence", json.dumps({"text": sentence}))
            sentence = await _next(turn, sentences)
        reply = turn.result()
        if shown and retracts(reply, shown):
            yield _event("retract", json.dumps({"sentences": len(shown)}))
        yield _event("reply", reply.model_dump_json())
        yield _event("done", "{}")
    except Exception as exc:  # the client hears about it in the stream it is reading
        log.error("the reply stream failed", exc_info=exc)
        message = "The reply stream failed on our side; it has been logged. Please reload."
        yield _event("error", json.dumps({"error": {"code": "internal", "message": message}}))


def retracts(reply: TurnReply, shown: list[str]) -> bool:
    """Whether the sentences shown must be taken back: the turn did not answer (it handed off
    or asks a question), or its answer is not made of them."""
    answer = " ".join((reply.answer or "").split())
    return reply.action != "answer" or any(" ".join(s.split()) not in answer for s in shown)


def _retrieve(turn: asyncio.Future[TurnReply]) -> None:
    # A client that leaves mid-stream never reads the result; the error was logged by the
    # runner or the stream, so it is marked as seen here.
    if not turn.cancelled():
        turn.exception()


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


@router.get(
    "/{conversation_id}",
    summary="Read the conversation",
    description="Messages by the customer, the assistant and agents (never internal notes), "
    "and the hand-off, if any.",
    responses=errors(401, 404, 503),
)
def view(conversation_id: str, token: CustomerToken, desk: Desk) -> ConversationOut:
    seen = desk.view(conversation_id, token)
    desk.store.mark_seen(conversation_id)  # an agent's reply read here is not emailed
    return ConversationOut(
        id=seen.conversation.id,
        status=seen.conversation.status,
        customer=asdict(seen.conversation.customer),
        messages=[message(m) for m in seen.messages if m.speaker != "note"],
        handoff=handoff(seen.handoff, typing=typing(seen.conversation.agent_typing_at)),
    )


TYPING_SHOWN = timedelta(seconds=6)  # an agent's keystroke pings every few seconds


def typing(at: datetime | None) -> bool:
    return at is not None and datetime.now(UTC) - at < TYPING_SHOWN


@router.post(
    "/{conversation_id}/feedback",
    status_code=201,
    summary="Rate an answer or the conversation",
    responses=errors(400, 401, 404, 413, 429, 503),
)
def feedback(
    conversation_id: str,
    body: FeedbackIn,
    token: CustomerToken,
    runtime: RuntimeDep,
    desk: Desk,
    request: Request,
) -> OkOut:
    runtime.limiter.admit(("ip", client_ip(request), runtime.settings.rate_limit_ip_per_minute))
    desk.feedback(
        conversation_id,
        token,
        helpful=body.helpful,
        csat=body.csat,
        comment=body.comment,
        message_id=body.message_id,
    )
    return OkOut()


@router.post(
    "/{conversation_id}/email",
    summary="Follow up by email: where to write when the customer is not in the chat",
    description="The acknowledgement of a hand-off, the agents' replies the customer has not "
    "seen in the chat and the resolution go to this address (when the server sends email).",
    responses=errors(400, 401, 404, 429, 503),
)
def follow_up(
    conversation_id: str,
    body: FollowUpIn,
    token: CustomerToken,
    runtime: RuntimeDep,
    desk: Desk,
    request: Request,
) -> OkOut:
    runtime.limiter.admit(("ip", client_ip(request), runtime.settings.rate_limit_ip_per_minute))
    desk.store.conversation(conversation_id, token)
    desk.store.follow_up(conversation_id, body.email)
    return OkOut()


@router.post(
    "/{conversation_id}/resume",
    summary="Reopen a conversation from an email's link",
    description="The signed link from an email (`answerdesk_resume=…`) gives the conversation a "
    "new token: the conversation continues on this device. Expired or forged links are 404.",
    responses=errors(400, 404, 429, 503),
)
def resume(
    conversation_id: str, body: ResumeIn, runtime: RuntimeDep, desk: Desk, request: Request
) -> NewConversationOut:
    settings = runtime.settings
    runtime.limiter.admit(("ip", client_ip(request), settings.rate_limit_ip_per_minute))
    key = key_of(settings)
    if open_link(key, body.link, datetime.now(UTC)) != conversation_id:
        raise AnswerdeskError(ErrorCode.NOT_FOUND, "This link is for another conversation.")
    desk.store.conversation(conversation_id)
    return NewConversationOut(id=conversation_id, token=desk.store.new_token(conversation_id))
