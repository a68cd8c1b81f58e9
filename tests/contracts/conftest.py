"""The CaseStore contract's fixtures: every test runs against SQLite (a tmp file) and a real
PostgreSQL.

PostgreSQL comes from ANSWERDESK_TEST_POSTGRES_URL; every test gets a fresh schema, dropped
afterwards. Without the variable the PostgreSQL half FAILS, naming it; set
ANSWERDESK_SKIP_POSTGRES_TESTS=1 to skip that half on purpose. Run:

    ANSWERDESK_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python -m pytest tests/contracts -q -p no:cacheprovider
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.store import SqlCaseStore, make_engine, upgrade
from tests.conftest import postgres_schema
from tests.contracts.helpers import Clock


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'answerdesk.sqlite3'}"
    else:
        yield from postgres_schema("contract")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(url: str, clock: Clock) -> Iterator[SqlCaseStore]:
    engine = make_engine(url)
    upgrade(engine)
    store = SqlCaseStore(engine, now=clock)
    yield store
    store.close()
