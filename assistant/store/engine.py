"""The database under the case store: engine from settings, timeouts, migrations, errors.

A SQLite file by default; PostgreSQL (psycopg 3) when many API workers share the store.
Connection, statement, lock and pool timeouts (from `Settings`, see `timeouts`) keep a down or
stuck database from hanging a turn: every failure becomes `AnswerdeskError(STORE_UNAVAILABLE)`
with a message that names the fix.
On SQLite, writing transactions start with `BEGIN IMMEDIATE`, so concurrent writers queue (in
turn, `writers.py`, then on the file lock up to the busy timeout) instead of failing halfway.
"""

from __future__ import annotations

import math
import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from assistant.store.writers import writers_of

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
WRITE = "answerdesk_write"  # execution option: this transaction will write


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{(settings.data_dir / 'answerdesk.sqlite3').resolve()}"


def timeouts(settings: Settings) -> dict[str, float]:
    """The keyword arguments of `make_engine` that `settings` choose."""
    return {
        "connect_timeout": settings.database_connect_timeout_seconds,
        "statement_timeout": settings.database_statement_timeout_seconds,
    }


def make_engine(
    url: str, *, connect_timeout: float = 5.0, statement_timeout: float = 15.0
) -> Engine:
    """An engine for a SQLite file or PostgreSQL, with timeouts so nothing waits forever."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION,
            f"ANSWERDESK_DATABASE_URL is not a database URL ({exc}); use e.g. "
            "postgresql+psycopg://user:password@host:5432/answerdesk or sqlite:////path/db.sqlite3",
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, statement_timeout)
    if backend == "postgresql":
        return _postgres_engine(parsed, connect_timeout, statement_timeout)
    raise AnswerdeskError(
        ErrorCode.CONFIGURATION,
        f"ANSWERDESK_DATABASE_URL uses {backend!r}; the case store supports sqlite and postgresql.",
    )


def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    if url.database in (None, "", ":memory:"):
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION,
            "The case store needs a SQLite file (sqlite:////path/answerdesk.sqlite3), not memory.",
        )
    try:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AnswerdeskError(
            ErrorCode.STORE_UNAVAILABLE,
            f"Cannot create the folder of the case store {url.database}: {exc}. Point "
            "ANSWERDESK_DATA_DIR (or ANSWERDESK_DATABASE_URL) at a writable place.",
        ) from exc
    engine = create_engine(url, connect_args={"timeout": busy_timeout}, pool_timeout=busy_timeout)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        _switch_to_wal(cursor, busy_timeout)
        for pragma in ("foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    writers_of(engine, busy_timeout)  # where the store's writers take turns (`writers.py`)
    return engine


def _switch_to_wal(cursor: Any, busy_timeout: float) -> None:
    """Put the file in WAL mode, waiting out other processes doing the same.

    Switching the journal mode takes the file's exclusive lock without calling SQLite's busy
    handler, so workers opening a new file together would fail at once; they retry instead.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _postgres_engine(url: URL, connect_timeout: float, statement_timeout: float) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is what we ship
    ms = int(statement_timeout * 1000)
    options = (
        f"-c statement_timeout={ms} -c lock_timeout={ms // 2} "
        f"-c idle_in_transaction_session_timeout={ms * 4}"
    )
    given = url.query.get("options")  # e.g. ?options=-csearch_path%3Danswerdesk
    if isinstance(given, str):
        options = f"{given} {options}"
        url = url.difference_update_query(["options"])
    return create_engine(
        url,
        connect_args={"connect_timeout": max(2, math.ceil(connect_timeout)), "options": options},
        pool_pre_ping=True,
        pool_timeout=statement_timeout,
        pool_recycle=1800,
    )


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def unavailable(engine: Engine, exc: Exception) -> AnswerdeskError:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    if getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03":
        return AnswerdeskError(ErrorCode.CONFLICT, "Another agent is changing this case; retry.")
    return AnswerdeskError(
        ErrorCode.STORE_UNAVAILABLE,
        f"The conversation store ({_where(engine)}) is unavailable: {reason}. Check that the "
        "database is running and reachable and that ANSWERDESK_DATABASE_URL is right.",
    )


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.execution_options(**{WRITE: True}).begin() as connection:
            if connection.dialect.name == "postgresql":  # workers starting together queue here
                connection.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except CommandError as exc:
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION,
            f"Cannot migrate the conversation store ({_where(engine)}): {exc}. Is the database "
            "from a newer answerdesk? Upgrade answerdesk, or point ANSWERDESK_DATABASE_URL at "
            "another database.",
        ) from exc
    except (DBAPIError, PoolTimeout) as exc:
        raise unavailable(engine, exc) from exc
