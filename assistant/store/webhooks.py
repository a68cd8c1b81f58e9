"""Webhook subscriptions and their delivery log: values and the checks a new one passes.

A subscription names a URL, the event types it wants (`events.py`), a body format (`json`: the
event as is, signed; `slack`: a message for a Slack incoming webhook) and, for case events,
optionally the priorities it wants ("urgent" only, for a channel people watch). The SQL side is
`sql_webhooks.py`; sending is `assistant/webhooks/`.

    delivery: pending ──2xx──► delivered
                 │  └─fails─► pending (again after a backoff) … ──last attempt─► failed
                 └─ replay (from the log): pending again, attempts from zero

A subscription whose deliveries fail `pause_after` times in a row is paused (nothing is sent to
it; its deliveries wait) and says why; resuming it sends what waited.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol, cast
from urllib.parse import urlsplit

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.events import EVENT_TYPES, Event, EventType
from assistant.store.models import DeliveryRow, WebhookRow

Format = Literal["json", "slack"]
FORMATS: tuple[Format, ...] = ("json", "slack")
DeliveryStatus = Literal["pending", "delivered", "failed"]
MAX_URL = 2000
MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class Webhook:
    id: int
    url: str
    events: tuple[EventType, ...]
    format: Format
    priorities: tuple[str, ...]
    description: str
    created_at: datetime
    failures: int  # failed attempts in a row
    paused_at: datetime | None
    paused_reason: str
    secret_hint: str  # the secret's first characters, to tell subscriptions apart

    @property
    def status(self) -> Literal["active", "paused"]:
        return "paused" if self.paused_at is not None else "active"


@dataclass(frozen=True)
class NewWebhook:
    webhook: Webhook
    secret: str  # shown once: the receiver verifies signatures with it


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: int
    event: Event
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str
    delivered_at: datetime | None


@dataclass(frozen=True)
class Target:
    """Where and how a leased delivery goes: what the sender needs, nothing more."""

    url: str
    format: Format
    secret: str


def to_webhook(row: WebhookRow) -> Webhook:
    return Webhook(
        row.id,
        row.url,
        tuple(cast(EventType, e) for e in row.events),
        cast(Format, row.format),
        tuple(row.priorities),
        row.description,
        row.created_at,
        row.failures,
        row.paused_at,
        row.paused_reason,
        row.secret[:8],
    )


def to_delivery(row: DeliveryRow, event: Event) -> Delivery:
    return Delivery(
        row.id,
        row.webhook_id,
        event,
        cast(DeliveryStatus, row.status),
        row.attempts,
        row.next_attempt_at,
        row.last_status,
        row.last_error,
        row.delivered_at,
    )


def _invalid(message: str) -> AnswerdeskError:
    return AnswerdeskError(ErrorCode.INVALID_INPUT, message)


def url_of(url: str) -> str:
    """An absolute http(s) URL with a host (whether the host may be reached is the sender's
    check, when it resolves the name: `assistant/webhooks/sender.py`)."""
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(f"A webhook URL is an absolute http(s) URL of at most {MAX_URL} characters.")
    if parts.username or parts.password:
        raise _invalid("Put no credentials in a webhook URL: receivers verify the signature.")
    return url


def events_of(values: Sequence[str]) -> tuple[EventType, ...]:
    chosen = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    unknown = [v for v in chosen if v not in EVENT_TYPES]
    if unknown or not chosen:
        raise _invalid(f"Subscribe to one or more of {', '.join(EVENT_TYPES)}; not {unknown}.")
    return cast(tuple[EventType, ...], chosen)


def format_of(value: str) -> Format:
    if value not in FORMATS:
        raise _invalid(f"A webhook's format is one of {', '.join(FORMATS)}.")
    return value


def priorities_of(values: Sequence[str]) -> tuple[str, ...]:
    from assistant.store.protocol import PRIORITY_LABELS  # (protocol.py imports this module)

    labels = [name for _, name in PRIORITY_LABELS]
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in values if v.strip()))
    if any(v not in labels for v in chosen):
        raise _invalid(f"Priorities are among {', '.join(labels)}.")
    return chosen


def secret_of(value: str | None) -> str:
    """The given signing secret (16 to 100 characters), or a new random one."""
    if value is None:
        return "whsec_" + secrets.token_urlsafe(32)
    if not 16 <= len(value) <= 100 or value != value.strip():
        raise _invalid("A signing secret is 16 to 100 characters, no surrounding spaces.")
    return value


def description_of(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise _invalid(f"A description is at most {MAX_DESCRIPTION} characters.")
    return value.strip()


class WebhookOutbox(Protocol):
    def add_webhook(
        self,
        url: str,
        events: Sequence[str],
        *,
        format: str = "json",
        priorities: Sequence[str] = (),
        description: str = "",
        secret: str | None = None,
    ) -> NewWebhook: ...

    def webhooks(self) -> list[Webhook]: ...

    def webhook(self, webhook_id: int) -> Webhook: ...

    def webhook_target(self, webhook_id: int) -> Target: ...

    def remove_webhook(self, webhook_id: int) -> Webhook: ...

    def resume_webhook(self, webhook_id: int) -> Webhook: ...

    def lease_deliveries(self, limit: int, lease: timedelta) -> list[tuple[Delivery, Target]]: ...

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        status: int | None,
        error: str = "",
        retry_at: datetime | None = None,
        pause_after: int = 0,
    ) -> Delivery: ...

    def deliveries(
        self,
        *,
        webhook_id: int | None = None,
        status: DeliveryStatus | None = None,
        limit: int = 100,
    ) -> list[Delivery]: ...

    def replay_delivery(self, delivery_id: int) -> Delivery: ...

    def events_after(self, after: int, limit: int = 100) -> list[Event]: ...

    def last_event_id(self) -> int: ...
