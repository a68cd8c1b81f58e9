"""API keys: shown once, stored as a hash, verified, listed, revoked — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store import make_engine, upgrade
from assistant.store.engine import MIGRATIONS
from assistant.store.keys import ApiKeys, key_hash
from assistant.store.models import Base, modelled
from tests.conftest import postgres_schema

# Read at import: the autouse fixture in tests/conftest.py hides ANSWERDESK_* from tests.


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'keys.sqlite3'}"])
    else:
        urls = postgres_schema("keys")
    engine = make_engine(next(urls))
    upgrade(engine)
    yield engine
    engine.dispose()
    next(urls, None)  # drops the PostgreSQL schema


def test_the_migration_matches_the_model(engine: Engine) -> None:
    with engine.connect() as connection:
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        opts = {"compare_type": True, "include_object": modelled}
        context = MigrationContext.configure(connection, opts=opts)
        assert compare_metadata(context, Base.metadata) == []


def test_a_key_is_shown_once_and_only_its_hash_is_stored(engine: Engine) -> None:
    keys = ApiKeys(engine)
    new = keys.create("alice", "agent")
    assert new.key.startswith("adk_") and len(new.key) > 40
    assert new.api_key.prefix == new.key[:10]
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT key_hash, prefix FROM api_keys")).one()
        everything = str(connection.execute(text("SELECT * FROM api_keys")).all())
    assert stored.key_hash == key_hash(new.key) and new.key not in everything
    found = keys.verify(new.key)
    assert found is not None and (found.name, found.role) == ("alice", "agent")
    assert keys.verify(new.key + "x") is None and keys.verify("not-ours") is None


def test_roles_allow_what_they_should(engine: Engine) -> None:
    keys = ApiKeys(engine)
    agent, admin = keys.create("alice", "agent").api_key, keys.create("root", "admin").api_key
    assert agent.allows("agent") and not agent.allows("admin")
    assert admin.allows("agent") and admin.allows("admin")
    with pytest.raises(AnswerdeskError) as bad:
        keys.create("eve", "owner")
    assert bad.value.code is ErrorCode.INVALID_INPUT


def test_a_name_is_unique_among_active_keys_and_free_again_once_revoked(engine: Engine) -> None:
    keys = ApiKeys(engine)
    old = keys.create("alice", "agent")
    with pytest.raises(AnswerdeskError) as taken:
        keys.create("alice", "admin")
    assert taken.value.code is ErrorCode.CONFLICT and "revoke" in taken.value.message
    revoked = keys.revoke("alice")
    assert revoked.revoked_at is not None and keys.verify(old.key) is None
    new = keys.create("alice", "admin")
    assert [(k.name, k.role) for k in keys.list_keys()] == [("alice", "admin")]
    assert len(keys.list_keys(include_revoked=True)) == 2
    assert keys.verify(new.key) is not None
    with pytest.raises(AnswerdeskError) as missing:
        keys.revoke("bob")
    assert missing.value.code is ErrorCode.NOT_FOUND


def test_names_are_checked(engine: Engine) -> None:
    for name in ["", " ", "a b", "x" * 101, "-dash-first", "semi;colon"]:
        with pytest.raises(AnswerdeskError) as bad:
            ApiKeys(engine).create(name, "agent")
        assert bad.value.code is ErrorCode.INVALID_INPUT, name
    assert ApiKeys(engine).create("alice.b@example-team_1", "agent").api_key.name
