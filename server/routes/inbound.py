"""Inbound email: a mail provider's inbound hook posts each raw message (RFC 5322) here, and a
customer's reply lands in its case (`assistant/mail/inbound.py`). The hook proves itself with
the shared `ANSWERDESK_INBOUND_SECRET`, as `?secret=` in the hook's URL or an
`X-Inbound-Secret` header; without one configured, inbound email is off (401)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.mail.inbound import MAX_BYTES, take_reply
from assistant.mail.links import key_of
from server.schemas import errors
from server.state import Desk, RuntimeDep

router = APIRouter(prefix="/v1/inbound", tags=["admin"], responses=errors(401, 503))


class InboundOut(BaseModel):
    conversation_id: str
    message_id: int
    case_id: int | None
    reopened: bool


@router.post(
    "/email",
    status_code=201,
    summary="A raw email (RFC 5322) from your mail provider's inbound hook",
    description=f"Send the message as the body (`message/rfc822`; up to {MAX_BYTES:,} bytes). "
    "A reply to one of our emails is stored in its conversation, without the quoted history; "
    "mail that answers none of them is refused with 400.",
    responses=errors(400, 413),
    openapi_extra={"requestBody": {"content": {"message/rfc822": {}}, "required": True}},
)
async def inbound_email(
    request: Request,
    runtime: RuntimeDep,
    desk: Desk,
    secret: Annotated[str | None, Query(max_length=200)] = None,
    x_inbound_secret: Annotated[str | None, Header(max_length=200)] = None,
) -> InboundOut:
    settings = runtime.settings
    expected = settings.inbound_secret.get_secret_value() if settings.inbound_secret else ""
    given = secret or x_inbound_secret or ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise AnswerdeskError(
            ErrorCode.UNAUTHORIZED,
            "Inbound email needs the hook's secret."
            if expected
            else "Inbound email is off: set ANSWERDESK_INBOUND_SECRET.",
        )
    raw = await request.body()
    key = key_of(settings)
    taken = await run_in_threadpool(take_reply, desk.store, key, raw)
    return InboundOut(
        conversation_id=taken.conversation_id,
        message_id=taken.message_id,
        case_id=taken.case_id,
        reopened=taken.reopened,
    )
