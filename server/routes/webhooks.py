"""Webhooks (admin key): subscribe a URL to case, message and feedback events, read the
delivery log, replay a delivery, resume a paused subscription, send a test.

Deliveries run outside the request, in the server's delivery worker (`assistant/webhooks/`):
a slow or failing receiver never slows a customer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from assistant.store.events import EVENT_TYPES, EventType
from assistant.store.webhooks import (
    MAX_DESCRIPTION,
    MAX_URL,
    Delivery,
    DeliveryStatus,
    Format,
    Webhook,
    url_of,
)
from assistant.webhooks.bodies import ping
from assistant.webhooks.sender import Sender, check_reachable
from server.auth import Admin
from server.schemas import errors
from server.state import Desk, RuntimeDep

router = APIRouter(prefix="/v1/admin/webhooks", tags=["admin"], responses=errors(401, 403, 503))
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[EventType]
    format: Format
    priorities: list[str]
    description: str
    status: Literal["active", "paused"]
    failures: int = Field(description="Failed attempts in a row.")
    paused_at: datetime | None
    paused_reason: str
    secret_hint: str = Field(description="The signing secret's first characters.")
    created_at: datetime


class WebhooksOut(BaseModel):
    webhooks: list[WebhookOut]


class NewWebhookOut(BaseModel):
    webhook: WebhookOut
    secret: str = Field(description="Shown only now: receivers verify signatures with it.")


class WebhookIn(BaseModel):
    url: str = Field(min_length=1, max_length=MAX_URL)
    events: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))
    format: Format = "json"
    priorities: list[Literal["urgent", "high", "normal", "low"]] = Field(
        default_factory=list, description="Case events only at these priorities; empty: all."
    )
    description: str = Field("", max_length=MAX_DESCRIPTION)
    secret: str | None = Field(
        None, min_length=16, max_length=100, description="Default: a new random secret."
    )


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_id: str
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str
    delivered_at: datetime | None
    event_created_at: datetime


class DeliveriesOut(BaseModel):
    deliveries: list[DeliveryOut] = Field(description="Newest first.")


class TestOut(BaseModel):
    delivered: bool
    status: int | None = Field(description="The receiver's HTTP status.")
    error: str
    seconds: float


def webhook_out(hook: Webhook) -> WebhookOut:
    return WebhookOut.model_validate({**vars(hook), "status": hook.status}, from_attributes=False)


def delivery_out(delivery: Delivery) -> DeliveryOut:
    values: dict[str, Any] = {
        **vars(delivery),
        "event_id": delivery.event.key,
        "event_type": delivery.event.type,
        "event_created_at": delivery.event.created_at,
    }
    return DeliveryOut.model_validate(values)


@router.get("", summary="Webhook subscriptions")
def webhooks(admin: Admin, desk: Desk) -> WebhooksOut:
    return WebhooksOut(webhooks=[webhook_out(h) for h in desk.store.webhooks()])


@router.post(
    "",
    status_code=201,
    summary="Subscribe a URL to events",
    description="Each event is POSTed as JSON (or, with format `slack`, as a Slack message) "
    "with an `Answerdesk-Signature` header (HMAC-SHA256 of `{timestamp}.{body}`). A URL in a "
    "private network is refused unless ANSWERDESK_WEBHOOK_ALLOW_PRIVATE is set.",
    responses=errors(400),
)
def add_webhook(body: WebhookIn, admin: Admin, desk: Desk, runtime: RuntimeDep) -> NewWebhookOut:
    check_reachable(url_of(body.url), runtime.settings.webhook_allow_private)
    new = desk.store.add_webhook(
        body.url,
        body.events,
        format=body.format,
        priorities=body.priorities,
        description=body.description,
        secret=body.secret,
    )
    return NewWebhookOut(webhook=webhook_out(new.webhook), secret=new.secret)


@router.delete(
    "/{webhook_id}", summary="Remove a subscription (what still waits is not sent)",
    responses=errors(404),
)  # fmt: skip
def remove_webhook(webhook_id: Id, admin: Admin, desk: Desk) -> WebhookOut:
    return webhook_out(desk.store.remove_webhook(webhook_id))


@router.post(
    "/{webhook_id}/resume",
    summary="Resume a paused subscription: what waited is sent",
    responses=errors(404),
)
def resume_webhook(webhook_id: Id, admin: Admin, desk: Desk) -> WebhookOut:
    return webhook_out(desk.store.resume_webhook(webhook_id))


@router.post(
    "/{webhook_id}/test",
    summary="Send a signed test event now and say what the receiver answered",
    responses=errors(404),
)
def test_webhook(webhook_id: Id, admin: Admin, desk: Desk, runtime: RuntimeDep) -> TestOut:
    settings = runtime.settings
    sender = Sender(settings.webhook_timeout_seconds, settings.webhook_allow_private)
    try:
        sent = sender.send(desk.store.webhook_target(webhook_id), ping())
    finally:
        sender.close()
    return TestOut(delivered=sent.ok, status=sent.status, error=sent.error, seconds=sent.seconds)


@router.get("/deliveries", summary="The delivery log, newest first")
def deliveries(
    admin: Admin,
    desk: Desk,
    webhook_id: Annotated[int | None, Query(ge=1)] = None,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveriesOut:
    found = desk.store.deliveries(webhook_id=webhook_id, status=status, limit=limit)
    return DeliveriesOut(deliveries=[delivery_out(d) for d in found])


@router.post(
    "/deliveries/{delivery_id}/replay",
    summary="Send a delivery again (its event keeps its id: receivers deduplicate)",
    responses=errors(404),
)
def replay(delivery_id: Id, admin: Admin, desk: Desk) -> DeliveryOut:
    return delivery_out(desk.store.replay_delivery(delivery_id))
