"""The outbox: each change to a case, a message or feedback writes its event in the same
transaction, one pending delivery for every webhook subscribed to it, and the email the
customer is owed about it, if any (`mail.py`).

So an event exists exactly when its change was committed (a crash between the two is
impossible), and a delivery cannot be lost to a restart: it waits in the table until a worker
has it acknowledged (`sql_webhooks.py`, `assistant/webhooks/`). The snapshots are built here
from the rows the change just wrote.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.store.events import CASE_EVENTS, EventType, when
from assistant.store.mail import address_of, mail_kind
from assistant.store.models import (
    CaseRow,
    ConversationRow,
    DeliveryRow,
    EventRow,
    FeedbackRow,
    MailRow,
    MessageRow,
    WebhookRow,
)
from assistant.store.protocol import priority_label


def case_data(row: CaseRow, change: str = "") -> dict[str, Any]:
    data = {
        "case": {
            "id": row.id,
            "conversation_id": row.conversation_id,
            "status": row.status,
            "priority": round(row.priority, 3),
            "priority_label": priority_label(row.priority),
            "priority_reasons": list(row.priority_reasons),
            "category": row.category,
            "queue": row.queue,
            "tags": list(row.tags),
            "summary": dict(row.summary),
            "claimed_by": row.claimed_by,
            "resolution": row.resolution,
            "merged_into": row.merged_into,
            "created_at": when(row.created_at),
            "sla_due_at": when(row.sla_due_at),
            "resolved_at": when(row.resolved_at),
        }
    }
    return {**data, "change": change} if change else data


def message_data(row: MessageRow) -> dict[str, Any]:
    return {
        "message": {
            "id": row.id,
            "conversation_id": row.conversation_id,
            "speaker": row.speaker,
            "kind": row.kind,
            "author": row.author,
            "text": row.text,
            "internal": row.speaker == "note",
            "created_at": when(row.created_at),
        }
    }


def feedback_data(row: FeedbackRow) -> dict[str, Any]:
    return {
        "feedback": {
            "conversation_id": row.conversation_id,
            "message_id": row.message_id,
            "helpful": row.helpful,
            "csat": row.csat,
            "comment": row.comment,
            "created_at": when(row.created_at),
        }
    }


def case_of(session: Session, conversation_id: str) -> int | None:
    """The conversation's latest case (None before a hand-off)."""
    return session.scalars(
        select(CaseRow.id)
        .where(CaseRow.conversation_id == conversation_id)
        .order_by(CaseRow.id.desc())
    ).first()


def record(
    session: Session,
    now: datetime,
    type_: EventType,
    conversation_id: str,
    case_id: int | None,
    data: dict[str, Any],
) -> EventRow:
    """Write the event and a delivery for each live subscription that wants it (a paused one
    too: its deliveries wait for it to resume)."""
    event = EventRow(
        key=f"evt_{uuid.uuid4().hex}",
        type=type_,
        conversation_id=conversation_id,
        case_id=case_id,
        data={**data, "case_id": case_id} if "case" not in data else data,
        created_at=now,
    )
    session.add(event)
    session.flush()
    _queue_mail(session, event)
    label = data["case"]["priority_label"] if type_ in CASE_EVENTS else None
    for hook in session.scalars(select(WebhookRow).where(WebhookRow.removed_at.is_(None))):
        if type_ not in hook.events:
            continue
        if hook.priorities and (label is None or label not in hook.priorities):
            continue  # a subscription to urgent cases only (e.g. a Slack channel)
        session.add(DeliveryRow(webhook_id=hook.id, event_id=event.id, next_attempt_at=now))
    return event


def _queue_mail(session: Session, event: EventRow) -> None:
    kind = mail_kind(event.type, event.data)
    conversation = session.get(ConversationRow, event.conversation_id) if kind else None
    address = address_of(conversation) if conversation is not None else None
    if kind and address:
        session.add(
            MailRow(
                event_id=event.id,
                conversation_id=event.conversation_id,
                kind=kind,
                to_address=address,
                next_attempt_at=event.created_at,
            )
        )


def case_event(
    session: Session, now: datetime, type_: EventType, row: CaseRow, change: str = ""
) -> None:
    session.flush()
    record(session, now, type_, row.conversation_id, row.id, case_data(row, change))
