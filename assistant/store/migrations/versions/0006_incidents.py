"""Incidents: a known problem (title, affected product areas, status) and its timed updates,
for the status page, the widget's banner and the customer turn.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

WHEN = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
STATUS = "status IN ('investigating', 'identified', 'monitoring', 'resolved')"


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("areas", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.CheckConstraint(STATUS, name=op.f("ck_incidents_status")),
    )
    op.create_index(op.f("ix_incidents_resolved_at"), "incidents", ["resolved_at"])
    op.create_table(
        "incident_updates",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_updates")),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_updates_incident_id_incidents"),
        ),
        sa.CheckConstraint(STATUS, name=op.f("ck_incident_updates_status")),
    )
    op.create_index(
        op.f("ix_incident_updates_incident_id_id"), "incident_updates", ["incident_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("incident_updates")
    op.drop_table("incidents")
