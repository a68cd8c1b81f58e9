"""A customer message's client key (`meta.client_key`, the `Idempotency-Key` it was sent with)
is unique within its conversation: a retry racing the original, on any worker, cannot store
the message twice.

An index on an expression of `meta` (no column): SQLite's `json_extract`, PostgreSQL's `->>`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

KEY = {
    "sqlite": "json_extract(meta, '$.client_key')",
    "postgresql": "(meta ->> 'client_key')",
}


def upgrade() -> None:
    key = KEY[op.get_bind().dialect.name]
    op.execute(
        f"CREATE UNIQUE INDEX uq_messages_client_key ON messages (conversation_id, {key}) "
        f"WHERE {key} IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX uq_messages_client_key")
