"""Email follow-up: where to write to a customer, when their widget last had the conversation
open, and the queue of emails to them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("conversations", sa.Column("follow_up_email", sa.String(320), nullable=True))
    op.add_column("conversations", sa.Column("last_seen_at", WHEN, nullable=True))
    op.create_table(
        "mails",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("lease_until", WHEN, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mails")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_mails_event_id_events")),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'skipped', 'failed')", name=op.f("ck_mails_status")
        ),
        sa.CheckConstraint(
            "kind IN ('acknowledgement', 'reply', 'resolution')", name=op.f("ck_mails_kind")
        ),
    )
    op.create_index(op.f("ix_mails_status_next_attempt_at"), "mails", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_mails_conversation_id_id"), "mails", ["conversation_id", "id"])


def downgrade() -> None:
    op.drop_table("mails")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("follow_up_email")
