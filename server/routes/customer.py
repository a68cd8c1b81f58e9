"""Customer routes: start a conversation, send messages (JSON or streamed), read it back,
give feedback. Each message passes the limits before anything is stored."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import StreamingResponse

from assistant.store.protocol import Customer
from server.auth import CustomerToken
from server.limits import check_message_length, client_ip
from server.schemas import (
    ConversationOut,
    FeedbackIn,
    MessageIn,
    NewConversationIn,
    NewConversationOut,
    OkOut,
    TurnReply,
    errors,
    handoff,
    message,
    turn_reply,
)
from server.state import Desk, RuntimeDep

router = APIRouter(prefix="/v1/conversations", tags=["customer"])
WORDS_PER_TOKEN_EVENT = 3
log = logging.getLogger("answerdesk.server")


@router.post(
    "",
    status_code=201,
    summary="Start a conversation",
    description="Returns the conversation's id and its secret token (shown once).",
    responses=errors(400, 413, 429, 503),
)
def start(
    runtime: RuntimeDep,
    desk: Desk,
    request: Request,
    body: Annotated[NewConversationIn | None, Body()] = None,
) -> NewConversationOut:
    runtime.limiter.admit(("ip", client_ip(request), runtime.settings.rate_limit_ip_per_minute))
    customer = (body or NewConversationIn()).customer
    new = desk.start(Customer(**customer.model_dump()))
    return NewConversationOut(id=new.id, token=new.token)


@router.post(
    "/{conversation_id}/messages",
    response_model=TurnReply,
    summary="Send a message and get the reply",
    description="With `Accept: text/event-stream` the reply streams as server-sent events: "
    "`token` events (a few words each; together the answer), then `reply` (the whole "
    "TurnReply), then `done`.",
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
) -> TurnReply | Response:
    settings = runtime.settings
    check_message_length(body.text, min(settings.max_message_chars, settings.max_question_chars))
    runtime.limiter.admit(
        ("conversation", conversation_id, settings.rate_limit_conversation_per_minute),
        ("ip", client_ip(request), settings.rate_limit_ip_per_minute),
    )
    assert runtime.turns is not None
    reply = turn_reply(await runtime.turns.send(conversation_id, token, body.text))
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(
            _events(reply),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return reply


def word_groups(text: str, size: int = WORDS_PER_TOKEN_EVENT) -> list[str]:
    """`text` in pieces of `size` words whose concatenation is exactly `text`."""
    words = re.findall(r"\s*\S+\s*", text) or ([text] if text else [])
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)]


async def _events(reply: TurnReply) -> AsyncIterator[str]:
    # The reply was computed in full before the first event: grounding checks the whole answer
    # (and may replace it) before any of it is shown, so the tokens replay the checked text.
    try:
        for piece in word_groups(reply.answer or ""):
            yield _event("token", json.dumps({"text": piece}))
        yield _event("reply", reply.model_dump_json())
        yield _event("done", "{}")
    except Exception as exc:  # the client hears about it in the stream it is reading
        log.error("the reply stream failed", exc_info=exc)
        message = "The reply stream failed on our side; it has been logged. Please reload."
        yield _event("error", json.dumps({"error": {"code": "internal", "message": message}}))


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
    return ConversationOut(
        id=seen.conversation.id,
        status=seen.conversation.status,
        customer=asdict(seen.conversation.customer),
        messages=[message(m) for m in seen.messages if m.speaker != "note"],
        handoff=handoff(seen.handoff),
    )


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
