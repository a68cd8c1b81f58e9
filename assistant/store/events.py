"""Events: what happened to a case, a message or feedback, as the outside world reads it.

    case.created      a hand-off opened a case
    case.claimed      an agent took it
    case.updated      released, tagged, re-prioritised or summary refreshed, reopened, merged
    case.resolved     resolved, or merged into another as a duplicate
    message.created   any message of a conversation (notes flagged `internal`)
    feedback.created  a rating or comment

An event is written by the store in the transaction that made the change (`outbox.py`), with a
snapshot of what changed: the webhook worker and the agents' console read the same record, and
a delivery retried an hour later still tells what was true then. Every text in it was redacted
when it was stored; webhooks redact once more on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from assistant.store.models import EventRow

EventType = Literal[
    "case.created",
    "case.updated",
    "case.claimed",
    "case.resolved",
    "message.created",
    "feedback.created",
    "ping",  # `answerdesk webhooks test`: never recorded, never subscribed to
]
EVENT_TYPES: tuple[EventType, ...] = (
    "case.created",
    "case.updated",
    "case.claimed",
    "case.resolved",
    "message.created",
    "feedback.created",
)
CASE_EVENTS = frozenset({"case.created", "case.updated", "case.claimed", "case.resolved"})


@dataclass(frozen=True)
class Event:
    id: int  # the outbox's order: a console resumes after the last id it saw
    key: str  # evt_…, unique: what a receiver deduplicates by
    type: EventType
    conversation_id: str
    case_id: int | None
    data: dict[str, Any]
    created_at: datetime

    def payload(self) -> dict[str, Any]:
        """The JSON body a receiver gets."""
        return {
            "id": self.key,
            "type": self.type,
            "created_at": self.created_at.isoformat(),
            "data": self.data,
        }


def to_event(row: EventRow) -> Event:
    return Event(
        row.id,
        row.key,
        cast(EventType, row.type),
        row.conversation_id,
        row.case_id,
        dict(row.data),
        row.created_at,
    )


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
