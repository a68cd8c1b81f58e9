"""The real app over the session's sample index, with a fresh SQLite store per test.

client            a started app (lifespan run) on the default settings below
make_client(**s)  the same with settings changed, e.g. make_client(max_body_bytes=2048)
agent / admin     X-API-Key headers of keys created in the test's store
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.desk import HelpDesk
from assistant.settings import Settings
from ingest.sync import SyncReport
from server.app import create_app
from tests.server.helpers import Headers, MakeClient, key


@pytest.fixture
def app_settings(sample_index: tuple[Settings, SyncReport], tmp_path: Path) -> Settings:
    settings, _ = sample_index
    return settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'answerdesk.sqlite3'}"}
    )


@pytest.fixture
def make_client(app_settings: Settings) -> Iterator[MakeClient]:
    with ExitStack() as stack:

        def make(desk: HelpDesk | None = None, **changes: Any) -> TestClient:
            settings = app_settings.model_copy(update=changes)
            client = TestClient(create_app(settings, desk=desk), raise_server_exceptions=False)
            return stack.enter_context(client)

        yield make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@pytest.fixture
def agent(client: TestClient) -> Headers:
    return key(client, "alice", "agent")


@pytest.fixture
def admin(client: TestClient) -> Headers:
    return key(client, "root", "admin")
