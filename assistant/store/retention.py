"""Deleting conversations for good: the retention purge and one customer's erasure.

Both pick conversations, then delete each whole (events, their deliveries and emails, feedback,
messages, cases, the conversation), in one transaction, so a conversation is never left half
deleted. Ids are read first and deleted in batches, so the choice does not shift while rows go.
A case kept elsewhere that was merged into a deleted one loses its pointer (the survivor is
gone; its own resolution says it was a duplicate).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.models import (
    CaseRow,
    ConversationRow,
    DeliveryRow,
    EventRow,
    FeedbackRow,
    MailRow,
    MessageRow,
)
from assistant.store.protocol import Erased

BATCH = 500  # ids per statement: well under SQLite's and PostgreSQL's parameter limits


def inactive_since(before: datetime) -> Select[str]:
    """Conversations with nothing at or after `before`, and no case still open."""
    if before.tzinfo is None:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, "`before` must be timezone-aware.")
    conversation = ConversationRow.id
    recent_message = select(MessageRow.id).where(
        MessageRow.conversation_id == conversation, MessageRow.created_at >= before
    )
    recent_feedback = select(FeedbackRow.id).where(
        FeedbackRow.conversation_id == conversation, FeedbackRow.created_at >= before
    )
    live_case = select(CaseRow.id).where(
        CaseRow.conversation_id == conversation,
        or_(CaseRow.status != "resolved", CaseRow.resolved_at >= before),
    )
    return select(conversation).where(
        ConversationRow.created_at < before,
        ~recent_message.exists(),
        ~recent_feedback.exists(),
        ~live_case.exists(),
    )


def of_customer(email: str) -> Select[str]:
    """Conversations whose customer context has this account email (case-insensitive)."""
    email = email.strip().lower()
    if not email:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, "Give the customer's account email.")
    stored = func.lower(ConversationRow.customer["email"].as_string())
    return select(ConversationRow.id).where(stored == email)


def _count(session: Session, column: Any, ids: Sequence[str]) -> int:
    return session.scalar(select(func.count()).where(column.in_(ids))) or 0


def _deleted(session: Session, statement: Any) -> int:
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def delete_conversations(session: Session, which: Select[str], dry_run: bool) -> Erased:
    ids = list(session.scalars(which.order_by(ConversationRow.id)))
    total = Erased()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        if dry_run:
            counted = Erased(
                len(batch),
                _count(session, MessageRow.conversation_id, batch),
                _count(session, CaseRow.conversation_id, batch),
                _count(session, FeedbackRow.conversation_id, batch),
            )
        else:
            gone = select(CaseRow.id).where(CaseRow.conversation_id.in_(batch))
            session.execute(
                update(CaseRow)
                .where(CaseRow.merged_into.in_(gone), CaseRow.conversation_id.not_in(batch))
                .values(merged_into=None)
                .execution_options(synchronize_session=False)
            )
            # Their events go too, with deliveries still waiting: an erased customer's words
            # must not leave afterwards.
            events = select(EventRow.id).where(EventRow.conversation_id.in_(batch))
            session.execute(delete(DeliveryRow).where(DeliveryRow.event_id.in_(events)))
            session.execute(delete(MailRow).where(MailRow.event_id.in_(events)))
            session.execute(delete(EventRow).where(EventRow.conversation_id.in_(batch)))
            feedback = _deleted(
                session, delete(FeedbackRow).where(FeedbackRow.conversation_id.in_(batch))
            )
            messages = _deleted(
                session, delete(MessageRow).where(MessageRow.conversation_id.in_(batch))
            )
            cases = _deleted(session, delete(CaseRow).where(CaseRow.conversation_id.in_(batch)))
            conversations = _deleted(
                session, delete(ConversationRow).where(ConversationRow.id.in_(batch))
            )
            counted = Erased(conversations, messages, cases, feedback)
        total = Erased(
            total.conversations + counted.conversations,
            total.messages + counted.messages,
            total.cases + counted.cases,
            total.feedback + counted.feedback,
        )
    return total
