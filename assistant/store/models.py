"""The tables of the conversation and case store, as typed SQLAlchemy 2 models.

    conversations ──< messages          one customer chat; messages by customer, assistant,
          │                              agent, or internal notes
          ├──< cases ──┐ merged_into     the hand-off queue; a duplicate points at its survivor
          │       └────┘
          └──< feedback                  helpful yes/no, CSAT 1–5, comment

    incidents ──< incident_updates       a known problem on the status page, and its timeline

    events ──< mails                     an email to the customer about an event (mail/)
    events ──< webhook_deliveries >── webhooks
                                         what happened to cases, messages and feedback (written
                                         in the transaction that made it happen: an outbox), and
                                         its delivery to each webhook subscribed to it

Schema changes go through a new Alembic revision in `migrations/versions/`; the store runs
them on start-up. Times are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CASE_STATUSES = ("open", "claimed", "waiting_on_customer", "resolved")
# A resolved case on its way into the knowledge base (assistant/store/review.py).
KB_STATUSES = ("none", "candidate", "approved", "rejected", "exported")
SPEAKERS = ("customer", "assistant", "agent", "note")
CONVERSATION_STATUSES = ("active", "handed_off", "resolved")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
MAIL_STATUSES = ("pending", "sent", "skipped", "failed")
MAIL_KINDS = ("acknowledgement", "reply", "resolution")
# Kept by migration 0009 outside the models (SQLAlchemy has no type for them): SQLite's
# full-text table with the shadow tables FTS5 keeps, and PostgreSQL's text-search index.
SEARCH_OBJECTS = frozenset(
    {
        "messages_fts",
        "messages_fts_data",
        "messages_fts_idx",
        "messages_fts_docsize",
        "messages_fts_config",
        "ix_messages_text_search",
    }
)


def modelled(_object: object, name: str | None, *_: object) -> bool:
    """For Alembic's `include_object`: whether the models describe this database object."""
    return name not in SEARCH_OBJECTS


# Named constraints, so later migrations (Alembic batch mode on SQLite) can address them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware one (e.g. datetime.now(UTC))")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: Json,
        list[str]: Json,
        list[dict[str, Any]]: Json,
    }


class ConversationRow(Base):
    __tablename__ = "conversations"
    __table_args__ = (CheckConstraint(_one_of("status", CONVERSATION_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the customer's token
    customer: Mapped[dict[str, Any]]  # id, email, plan, product_area, locale, page_url
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    # Where to follow up by email, as the customer typed it in the widget (migration 0008)…
    follow_up_email: Mapped[str | None] = mapped_column(String(320))
    # …and when their widget last had the conversation open: a reply they saw is not emailed.
    last_seen_at: Mapped[datetime | None]
    # When an agent last typed a reply to it: the widget shows "typing…" (migration 0010).
    agent_typing_at: Mapped[datetime | None]


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(_one_of("speaker", SPEAKERS), name="speaker"),
        Index(None, "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    speaker: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]]
    confidence: Mapped[float | None] = mapped_column(Float)
    author: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24), default="", server_default="")
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")


# A customer message's client key (its `Idempotency-Key`, in `meta`) is unique in its
# conversation, so no retry stores a message twice (migration 0004).
_CLIENT_KEY = MessageRow.meta["client_key"].as_string()
Index(
    "uq_messages_client_key",
    MessageRow.conversation_id,
    _CLIENT_KEY,
    unique=True,
    sqlite_where=_CLIENT_KEY.is_not(None),
    postgresql_where=_CLIENT_KEY.is_not(None),
)


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_one_of("status", CASE_STATUSES), name="status"),
        CheckConstraint(_one_of("kb_status", KB_STATUSES), name="kb_status"),
        Index(None, "status", "priority"),
        Index(None, "kb_status"),
        Index(None, "conversation_id"),
        # At most one unresolved case per conversation, even with many workers racing.
        Index(
            "uq_cases_active_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status <> 'resolved'"),
            postgresql_where=text("status <> 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    status: Mapped[str] = mapped_column(String(24), default="open")
    priority: Mapped[float] = mapped_column(Float)
    priority_reasons: Mapped[list[str]]
    category: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(100))
    sla_due_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any]]
    tags: Mapped[list[str]]
    resolution: Mapped[str | None] = mapped_column(Text)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    # The knowledge-base review (migration 0005): only `kb_problem` and `kb_resolution`, as the
    # reviewer approved them, ever leave for the index; never the customer's words.
    kb_status: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    kb_reviewed_by: Mapped[str | None] = mapped_column(String(200))
    kb_reviewed_at: Mapped[datetime | None]
    kb_problem: Mapped[str | None] = mapped_column(Text)
    kb_resolution: Mapped[str | None] = mapped_column(Text)
    kb_reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected


class FeedbackRow(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("csat IS NULL OR csat BETWEEN 1 AND 5", name="csat"),
        Index(None, "conversation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    helpful: Mapped[bool | None]
    csat: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


API_KEY_ROLES = ("agent", "admin")


class ApiKeyRow(Base):
    """An agent's or admin's API key; only its SHA-256 is stored (the key is shown once).

    A revoked key keeps its row (who had access, until when); a name is unique among the keys
    that are not revoked."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(_one_of("role", API_KEY_ROLES), name="role"),
        Index(
            "uq_api_keys_active_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the key's start, to tell keys apart
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class IncidentRow(Base):
    """A known problem shown on the status page and in the widget (migration 0006); `status`
    and `updated_at` repeat its latest update, so listing incidents reads one table."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(_one_of("status", INCIDENT_STATUSES), name="status"),
        Index(None, "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    areas: Mapped[list[str]]  # product areas affected, as the articles' `product_area`
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class IncidentUpdateRow(Base):
    __tablename__ = "incident_updates"
    __table_args__ = (
        CheckConstraint(_one_of("status", INCIDENT_STATUSES), name="status"),
        Index(None, "incident_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class EventRow(Base):
    """Something that happened to a case, a message or feedback (migration 0007), written in
    the same transaction as the change: no change without its event, no event without it."""

    __tablename__ = "events"
    __table_args__ = (Index(None, "conversation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # evt_…: receivers dedupe by it
    type: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class WebhookRow(Base):
    """A webhook subscription. The signing secret is kept as given (an HMAC needs it), shown
    once when the subscription is made; `failures` counts failed attempts in a row."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]]
    format: Mapped[str] = mapped_column(String(16))  # json | slack
    priorities: Mapped[list[str]]  # case events only at these priorities; empty: all
    secret: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None]
    paused_reason: Mapped[str] = mapped_column(String(500), default="")
    removed_at: Mapped[datetime | None]


class DeliveryRow(Base):
    """One event on its way to one subscription: the delivery log. A worker leases a due
    delivery before sending it, so a worker that dies mid-delivery only delays it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(_one_of("status", DELIVERY_STATUSES), name="status"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status
    last_error: Mapped[str] = mapped_column(String(500), default="")
    delivered_at: Mapped[datetime | None]


class MailRow(Base):
    """An email to a customer about an event (acknowledgement, agent reply, resolution),
    queued with the event (migration 0008) and sent by the mail worker, leased like a webhook
    delivery; a reply the customer saw in the widget first is skipped."""

    __tablename__ = "mails"
    __table_args__ = (
        CheckConstraint(_one_of("status", MAIL_STATUSES), name="status"),
        CheckConstraint(_one_of("kind", MAIL_KINDS), name="kind"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    conversation_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    to_address: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None]
