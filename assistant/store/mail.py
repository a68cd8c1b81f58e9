"""Email follow-up in the store: which events a customer is written to about, and the queue.

    case.created                          → acknowledgement (case number, what happens next)
    message.created, an agent's reply     → reply       } only if the customer has not seen it
    case.resolved (not merged)            → resolution  } in the widget by then (mail worker)

A customer is written to at the address they gave in the widget for follow-up, or at their
account's when the embedding site signed it (an address the browser merely claims is never
written to: anyone could type someone else's). The SQL side is `sql_mail.py`; composing and
sending is `assistant/mail/`.

    mail: pending ──sent──► sent
            │ └──fails──► pending (after a backoff) … ──last attempt──► failed
            └──seen in the widget, or too old to send──► skipped
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, cast

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.events import Event
from assistant.store.models import ConversationRow, MailRow

MailKind = Literal["acknowledgement", "reply", "resolution"]
MailStatus = Literal["pending", "sent", "skipped", "failed"]
MAX_EMAIL = 320
# Deliberately plain: one @, a dot in the domain, no spaces or angle brackets. Whether it
# exists is the mail server's to say.
_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


@dataclass(frozen=True)
class Mail:
    id: int
    conversation_id: str
    kind: MailKind
    to: str
    event: Event
    status: MailStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str
    sent_at: datetime | None
    seen_at: datetime | None = None  # when the customer's widget last had the conversation


def email_of(value: str) -> str:
    address = value.strip()
    if len(address) > MAX_EMAIL or not _EMAIL.match(address):
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, f"{address[:80]!r} is not an email address we can write to."
        )
    return address


def mail_kind(type_: str, data: dict[str, Any]) -> MailKind | None:
    """Which email an event is, if any."""
    if type_ == "case.created":
        return "acknowledgement"
    if type_ == "message.created":
        message = data["message"]
        return "reply" if message["speaker"] == "agent" and message["kind"] == "reply" else None
    if type_ == "case.resolved" and data.get("change") != "merged":
        return "resolution"
    return None


def address_of(row: ConversationRow) -> str | None:
    """The follow-up address the customer gave, else the account's when it was signed."""
    if row.follow_up_email:
        return row.follow_up_email
    customer = row.customer or {}
    email = str(customer.get("email") or "")
    return email if email and customer.get("verified") else None


def to_mail(row: MailRow, event: Event, seen_at: datetime | None = None) -> Mail:
    return Mail(
        row.id,
        row.conversation_id,
        cast(MailKind, row.kind),
        row.to_address,
        event,
        cast(MailStatus, row.status),
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        row.sent_at,
        seen_at,
    )


class MailQueue(Protocol):
    def follow_up(self, conversation_id: str, email: str) -> None: ...

    def new_token(self, conversation_id: str) -> str: ...

    def mark_seen(self, conversation_id: str) -> None: ...

    def agent_typing(self, case_id: int, agent: str) -> None: ...

    def lease_mails(self, limit: int, lease: timedelta) -> list[Mail]: ...

    def finish_mail(
        self,
        mail_id: int,
        status: MailStatus,
        *,
        error: str = "",
        retry_at: datetime | None = None,
        attempted: bool = True,
    ) -> Mail: ...

    def mails(
        self,
        *,
        conversation_id: str | None = None,
        status: MailStatus | None = None,
        limit: int = 100,
    ) -> list[Mail]: ...
