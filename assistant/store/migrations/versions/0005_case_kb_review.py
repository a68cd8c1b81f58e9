"""A resolved case goes into the knowledge base only through review: `kb_status` (none,
candidate, approved, rejected, exported), who reviewed it and when, the problem statement and
resolution the reviewer approved (the only text exported), and why it was rejected.

Columns are added in place (no table copy on SQLite): the check constraint is a named column
constraint, which SQLite and PostgreSQL both accept in `ADD COLUMN`.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

STATUSES = "'none', 'candidate', 'approved', 'rejected', 'exported'"
NULLABLE = (
    ("kb_reviewed_by", sa.String(200)),
    ("kb_reviewed_at", sa.DateTime(timezone=True)),
    ("kb_problem", sa.Text()),
    ("kb_resolution", sa.Text()),
    ("kb_reason", sa.Text()),
)


def upgrade() -> None:
    op.execute(
        "ALTER TABLE cases ADD COLUMN kb_status VARCHAR(16) DEFAULT 'none' NOT NULL "
        f"CONSTRAINT ck_cases_kb_status CHECK (kb_status IN ({STATUSES}))"
    )
    for name, type_ in NULLABLE:
        op.add_column("cases", sa.Column(name, type_, nullable=True))
    op.create_index(op.f("ix_cases_kb_status"), "cases", ["kb_status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_kb_status"), table_name="cases")
    for name, _ in reversed(NULLABLE):
        op.drop_column("cases", name)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_cases_kb_status"), "cases", type_="check")
    op.drop_column("cases", "kb_status")
