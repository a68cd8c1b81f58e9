"""The CaseStore itself, on SQLite and PostgreSQL: migrations build the models' schema once,
settings choose the database, and a database it cannot use is a clear error, fast."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from assistant.errors import ErrorCode
from assistant.settings import Settings
from assistant.store import SqlCaseStore, database_url, make_case_store, make_engine, upgrade
from assistant.store.engine import MIGRATIONS
from assistant.store.models import Base, modelled
from tests.conftest import free_port
from tests.contracts.helpers import CUSTOMER, TABLES, refused


def test_migrations_create_the_schema_once_and_match_the_models(url: str) -> None:
    engine = make_engine(url)
    try:
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert TABLES | {"alembic_version"} <= set(inspect(engine).get_table_names())
        store = SqlCaseStore(engine)
        kept = store.create_conversation(CUSTOMER).id
        upgrade(engine)  # a second start-up changes nothing
        assert store.conversation(kept).customer == CUSTOMER
        with engine.connect() as connection:
            head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (head,)
            ]
            opts = {"compare_type": True, "include_object": modelled}
            context = MigrationContext.configure(connection, opts=opts)
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_settings_choose_the_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert database_url(settings) == f"sqlite:///{tmp_path / 'data' / 'answerdesk.sqlite3'}"
    store = make_case_store(settings)
    assert isinstance(store, SqlCaseStore)
    store.close()
    assert (tmp_path / "data" / "answerdesk.sqlite3").is_file()
    elsewhere = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert database_url(Settings(data_dir=tmp_path, database_url=elsewhere)) == elsewhere


@pytest.mark.parametrize(
    "bad", ["mysql+pymysql://u@h/db", "not a url", "sqlite://", "sqlite:///:memory:"]
)
def test_unusable_urls_are_configuration_errors(bad: str) -> None:
    refused(ErrorCode.CONFIGURATION, lambda: SqlCaseStore.open(bad), "sqlite")


def test_a_down_database_fails_fast_with_a_clear_error() -> None:
    closed = f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{free_port()}/answerdesk"
    started = time.monotonic()
    message = refused(
        ErrorCode.STORE_UNAVAILABLE, lambda: SqlCaseStore.open(closed), "ANSWERDESK_DATABASE_URL"
    )
    assert time.monotonic() - started < 5
    assert "127.0.0.1" in message and "hunter2" not in message
    running = SqlCaseStore(make_engine(closed))  # a store whose database went away later
    refused(ErrorCode.STORE_UNAVAILABLE, lambda: running.case(1), "unavailable")
    running.close()


def test_a_silent_database_times_out_instead_of_hanging() -> None:
    """A server that accepts the connection and never answers (a hung host, a firewall)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        refused(
            ErrorCode.STORE_UNAVAILABLE,
            lambda: SqlCaseStore.open(
                f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", connect_timeout=2
            ),
            "timeout",
        )
        assert time.monotonic() - started < 8


def test_an_unwritable_sqlite_location_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    bad = f"sqlite:///{tmp_path / 'file' / 'answerdesk.sqlite3'}"
    refused(ErrorCode.STORE_UNAVAILABLE, lambda: SqlCaseStore.open(bad), "ANSWERDESK_DATA_DIR")
