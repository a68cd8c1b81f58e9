"""The questions the knowledge base did not answer, as the customers asked them.

Two signals, over a date range: a hand-off (or the intake question that starts one) because
the help center does not cover the question or the assistant was not sure of its answer
(`out_of_scope`, `low_confidence`; not a customer who was angry or asked for a person), and an
answer the customer marked unhelpful. The question is the customer's last message before that
reply, unless that message answered an intake question (then it is the customer's details).
Each carries the agent's resolution of the conversation's case, when one was written: the raw
material of an article.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.store import privacy
from assistant.store.models import CaseRow, FeedbackRow, MessageRow

CONTENT_REASONS = frozenset({"out_of_scope", "low_confidence"})
MAX_QUESTIONS = 5000  # the newest; clustering is quadratic in their number


@dataclass(frozen=True)
class GapQuestion:
    conversation_id: str
    message_id: int  # the customer's message
    text: str  # redacted
    asked_at: datetime
    signal: Literal["handoff", "unhelpful"]
    resolution: str  # the agent's, redacted; "" while the case is open (or without one)


def gap_questions(session: Session, since: datetime, until: datetime) -> list[GapQuestion]:
    within = (MessageRow.created_at >= since) & (MessageRow.created_at < until)
    replies: dict[int, Literal["handoff", "unhelpful"]] = {}
    handoffs = select(MessageRow.id, MessageRow.meta).where(
        within, MessageRow.speaker == "assistant", MessageRow.kind.in_(("handoff", "intake"))
    )
    for mid, meta in session.execute(handoffs):
        if CONTENT_REASONS.intersection(_handoff_reasons(meta)):
            replies[mid] = "handoff"
    unhelpful = select(FeedbackRow.message_id).where(
        FeedbackRow.created_at >= since,
        FeedbackRow.created_at < until,
        FeedbackRow.helpful.is_(False),
        FeedbackRow.message_id.is_not(None),
    )
    for (mid,) in session.execute(unhelpful):
        if mid is not None:
            replies.setdefault(mid, "unhelpful")
    newest = sorted(replies, reverse=True)[:MAX_QUESTIONS]
    return _questions(session, newest, replies)


def _handoff_reasons(meta: object) -> set[str]:
    """Why the turn handed off: an intake question keeps the hand-off's reasons apart (its own
    are "missing_information")."""
    if not isinstance(meta, dict):
        return set()
    handoff = meta.get("handoff")
    reasons = handoff.get("reasons") if isinstance(handoff, dict) else meta.get("reasons")
    return {str(r) for r in reasons} if isinstance(reasons, list) else set()


def _questions(
    session: Session, reply_ids: Sequence[int], signals: dict[int, Literal["handoff", "unhelpful"]]
) -> list[GapQuestion]:
    found: list[GapQuestion] = []
    for start in range(0, len(reply_ids), 500):
        batch = reply_ids[start : start + 500]
        owner = dict(
            session.execute(
                select(MessageRow.id, MessageRow.conversation_id).where(MessageRow.id.in_(batch))
            ).all()
        )
        conversations = set(owner.values())
        said = session.execute(
            select(MessageRow).where(
                MessageRow.conversation_id.in_(conversations),
                MessageRow.speaker.in_(("customer", "assistant")),
            )
        ).scalars()
        by_conversation: dict[str, list[MessageRow]] = {}
        for m in said:
            by_conversation.setdefault(m.conversation_id, []).append(m)
        resolutions = _resolutions(session, conversations)
        for reply in batch:
            cid = owner.get(reply)
            thread = sorted(by_conversation.get(cid or "", []), key=lambda m: m.id)
            before = [m for m in thread if m.id < reply]
            asked = [m for m in before if m.speaker == "customer"]
            if not cid or not asked:
                continue
            question = asked[-1]
            prompted = [m for m in before if m.speaker == "assistant" and m.id < question.id]
            if prompted and prompted[-1].kind == "intake":
                continue  # the customer's answer to an intake question, not their question
            found.append(
                GapQuestion(
                    conversation_id=cid,
                    message_id=question.id,
                    text=privacy.message_text("customer", question.text),
                    asked_at=question.created_at,
                    signal=signals[reply],
                    resolution=resolutions.get(cid, ""),
                )
            )
    unique = {q.message_id: q for q in found}  # one question may have both signals
    return sorted(unique.values(), key=lambda q: q.message_id)


def _resolutions(session: Session, conversations: set[str]) -> dict[str, str]:
    """A conversation's resolution: the reviewed knowledge-base wording when there is one."""
    rows = session.execute(
        select(CaseRow.conversation_id, CaseRow.kb_resolution, CaseRow.resolution)
        .where(CaseRow.conversation_id.in_(conversations), CaseRow.status == "resolved")
        .order_by(CaseRow.id)
    )
    return {
        cid: privacy.resolution(reviewed or written or "")
        for cid, reviewed, written in rows
        if reviewed or written
    }
