"""Alembic environment: migrations run in-process on the connection `upgrade(engine)` passes.

There is no alembic.ini: `assistant.store.engine.upgrade` configures Alembic in code and runs
on start-up. A schema change is a new file in `versions/` (down_revision = the current head).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from assistant.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through assistant.store.upgrade(engine), not the CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
