"""Conversations, messages, hand-off cases and feedback.

Revision ID: 0001
Revises: (none)

Every constraint and index is named here in full (`op.f`), following the naming convention
of `assistant.store.models`, so the revision does not depend on today's models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)
UNRESOLVED = sa.text("status <> 'resolved'")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target.split('.')[0]}")
    return sa.ForeignKeyConstraint([column], [target], name=name)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("customer", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.CheckConstraint(
            "status IN ('active', 'handed_off', 'resolved')", name=op.f("ck_conversations_status")
        ),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("speaker", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("citations", JSON, nullable=False),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        _fk("messages", "conversation_id", "conversations.id"),
        sa.CheckConstraint(
            "speaker IN ('customer', 'assistant', 'agent', 'note')",
            name=op.f("ck_messages_speaker"),
        ),
    )
    op.create_index(op.f("ix_messages_conversation_id_id"), "messages", ["conversation_id", "id"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("priority", sa.Float, nullable=False),
        sa.Column("priority_reasons", JSON, nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("queue", sa.String(100), nullable=False),
        sa.Column("sla_due_at", WHEN, nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", WHEN, nullable=True),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("merged_into", sa.Integer, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        _fk("cases", "conversation_id", "conversations.id"),
        _fk("cases", "merged_into", "cases.id"),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'waiting_on_customer', 'resolved')",
            name=op.f("ck_cases_status"),
        ),
    )
    op.create_index(op.f("ix_cases_status_priority"), "cases", ["status", "priority"])
    op.create_index(op.f("ix_cases_conversation_id"), "cases", ["conversation_id"])
    op.create_index(
        op.f("uq_cases_active_conversation"),
        "cases",
        ["conversation_id"],
        unique=True,
        sqlite_where=UNRESOLVED,
        postgresql_where=UNRESOLVED,
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("message_id", sa.Integer, nullable=True),
        sa.Column("helpful", sa.Boolean, nullable=True),
        sa.Column("csat", sa.Integer, nullable=True),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        _fk("feedback", "conversation_id", "conversations.id"),
        _fk("feedback", "message_id", "messages.id"),
        sa.CheckConstraint("csat IS NULL OR csat BETWEEN 1 AND 5", name=op.f("ck_feedback_csat")),
    )
    op.create_index(op.f("ix_feedback_conversation_id"), "feedback", ["conversation_id"])


def downgrade() -> None:
    for table in ("feedback", "cases", "messages", "conversations"):
        op.drop_table(table)
