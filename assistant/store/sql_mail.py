"""Email follow-up on SQLAlchemy: the address a customer gave, when they last looked, and the
queue of emails (values and rules in `mail.py`; queued by `outbox.py`; sent by
`assistant/mail/`). Leased like webhook deliveries (`sql_webhooks.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.events import to_event
from assistant.store.mail import Mail, MailStatus, email_of, to_mail
from assistant.store.models import CaseRow, ConversationRow, EventRow, MailRow
from assistant.store.sql_webhooks import MAX_ERROR, SqlWebhooks

SEEN_EVERY = timedelta(seconds=10)  # how stale `last_seen_at` may get: one write per 10 s


class SqlMail(SqlWebhooks):
    """The `MailQueue` on the conversation store's engine (`SqlCaseStore` builds on it)."""

    def follow_up(self, conversation_id: str, email: str) -> None:
        """Write to this address from now on. Given while a case is open (the widget offers it
        after the hand-off), it also gets the case's acknowledgement, once."""
        address = email_of(email)
        with self._session(write=True) as session:
            self._conversation_row(session, conversation_id).follow_up_email = address
            opened = session.scalars(
                select(EventRow)
                .join(CaseRow, CaseRow.id == EventRow.case_id)
                .where(
                    EventRow.conversation_id == conversation_id,
                    EventRow.type == "case.created",
                    CaseRow.status != "resolved",
                )
                .order_by(EventRow.id.desc())
            ).first()
            if opened is None:
                return
            told = select(MailRow.id).where(
                MailRow.event_id == opened.id, MailRow.kind == "acknowledgement"
            )
            if session.execute(told).first() is None:
                session.add(
                    MailRow(
                        event_id=opened.id,
                        conversation_id=conversation_id,
                        kind="acknowledgement",
                        to_address=address,
                        next_attempt_at=self._now(),
                    )
                )

    def mark_seen(self, conversation_id: str) -> None:
        """The customer's widget has the conversation open now (written at most every 10 s: a
        widget polling does not take the write lock each time)."""
        now = self._now()
        with self._session() as session:
            seen = session.scalar(
                select(ConversationRow.last_seen_at).where(ConversationRow.id == conversation_id)
            )
        if seen is not None and seen >= now - SEEN_EVERY:
            return
        with self._session(write=True) as session:
            session.execute(
                update(ConversationRow)
                .where(
                    ConversationRow.id == conversation_id,
                    or_(
                        ConversationRow.last_seen_at.is_(None),
                        ConversationRow.last_seen_at < now - SEEN_EVERY,
                    ),
                )
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )

    def agent_typing(self, case_id: int, agent: str) -> None:
        """The agent who holds the case is typing a reply (the widget shows it a few seconds)."""
        with self._session(write=True) as session:
            case = session.get(CaseRow, case_id)
            if case is None or case.claimed_by != agent or case.status == "resolved":
                raise AnswerdeskError(
                    ErrorCode.CONFLICT, f"Case {case_id} is not claimed by {agent}."
                )
            session.get_one(ConversationRow, case.conversation_id).agent_typing_at = self._now()

    def lease_mails(self, limit: int, lease: timedelta) -> list[Mail]:
        now = self._now()
        due = (
            select(MailRow, EventRow, ConversationRow.last_seen_at)
            .join(EventRow, EventRow.id == MailRow.event_id)
            .join(ConversationRow, ConversationRow.id == MailRow.conversation_id)
            .where(
                MailRow.status == "pending",
                MailRow.next_attempt_at <= now,
                or_(MailRow.lease_until.is_(None), MailRow.lease_until < now),
            )
            .order_by(MailRow.id)
            .limit(limit)
        )
        return [
            to_mail(mail, to_event(event), seen)
            for mail, event, seen in self._lease(due, MailRow, now + lease)
        ]

    def finish_mail(
        self,
        mail_id: int,
        status: MailStatus,
        *,
        error: str = "",
        retry_at: datetime | None = None,
        attempted: bool = True,
    ) -> Mail:
        """Record what became of a leased mail: sent, skipped (why in `error`), failed for good,
        or pending again at `retry_at` (`attempted=False`: held back, not tried)."""
        if status == "pending" and retry_at is None:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, "A pending mail needs a retry time.")
        with self._session(write=True) as session:
            row = session.get(MailRow, mail_id, with_for_update=True)
            if row is None:
                raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No mail {mail_id}.")
            row.status, row.last_error, row.lease_until = status, error[:MAX_ERROR], None
            row.attempts += 1 if attempted else 0
            if retry_at is not None:
                row.next_attempt_at = retry_at
            if status == "sent":
                row.sent_at = self._now()
            session.flush()
            return to_mail(row, to_event(session.get_one(EventRow, row.event_id)))

    def mails(
        self,
        *,
        conversation_id: str | None = None,
        status: MailStatus | None = None,
        limit: int = 100,
    ) -> list[Mail]:
        """The emails queued and sent, newest first."""
        query = select(MailRow, EventRow).join(EventRow, EventRow.id == MailRow.event_id)
        if conversation_id is not None:
            query = query.where(MailRow.conversation_id == conversation_id)
        if status is not None:
            query = query.where(MailRow.status == status)
        with self._session() as session:
            rows = session.execute(query.order_by(MailRow.id.desc()).limit(limit)).tuples()
            return [to_mail(m, to_event(e)) for m, e in rows]
