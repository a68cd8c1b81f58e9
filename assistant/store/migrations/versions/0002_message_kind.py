"""Messages say what they are (`kind`: answer, clarify, intake, handoff, …) and carry `meta`
(the decision's reasons, the related articles shown): what hand-offs, summaries and statistics
read back.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("kind", sa.String(24), nullable=False, server_default=""))
        batch.add_column(sa.Column("meta", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("meta")
        batch.drop_column("kind")
