"""`answerdesk keys ...` and `answerdesk serve`, as ops use them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.settings import Settings
from assistant.store import database_url, make_engine
from assistant.store.keys import ApiKeys
from server.cli import app

runner = CliRunner()


def env(data_dir: Path) -> dict[str, str]:
    return {"ANSWERDESK_DATA_DIR": str(data_dir)}


def keys_in(data_dir: Path) -> ApiKeys:
    return ApiKeys(make_engine(database_url(Settings(data_dir=data_dir))))


def test_keys_are_created_listed_and_revoked_from_the_command_line(tmp_path: Path) -> None:
    created = runner.invoke(app, ["keys", "create", "alice", "--role", "admin"], env=env(tmp_path))
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("adk_") and "shown only now" in created.stderr
    found = keys_in(tmp_path).verify(key)
    assert found is not None and (found.name, found.role) == ("alice", "admin")

    listed = runner.invoke(app, ["keys", "list"], env=env(tmp_path))
    assert "alice" in listed.stdout and key not in listed.stdout and key[:10] in listed.stdout

    assert runner.invoke(app, ["keys", "revoke", "alice"], env=env(tmp_path)).exit_code == 0
    assert keys_in(tmp_path).verify(key) is None
    again = runner.invoke(app, ["keys", "revoke", "alice"], env=env(tmp_path))
    assert again.exit_code == 2 and "No active key named 'alice'" in again.stderr
    bad = runner.invoke(app, ["keys", "create", "bob", "--role", "owner"], env=env(tmp_path))
    assert bad.exit_code == 2 and "agent, admin" in bad.stderr


def test_serve_demo_replaces_the_demo_keys_and_starts_uvicorn(
    sample_index: tuple[Settings, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = sample_index
    started: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **options: started.append(options))
    environment = {
        "ANSWERDESK_DATA_DIR": str(settings.data_dir),
        "ANSWERDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    printed = []
    for _ in range(2):
        result = runner.invoke(app, ["serve", "--demo", "--port", "8123"], env=environment)
        assert result.exit_code == 0, result.output
        printed.append(
            {
                line.split(" key: ")[0]: line.split(" key: ")[1]
                for line in result.stdout.splitlines()
                if " key: " in line
            }
        )
        assert "http://127.0.0.1:8123/agent" in result.stdout
    assert set(printed[1]) == {"demo-agent", "demo-admin"}
    assert (started[-1]["factory"], started[-1]["port"], started[-1]["workers"]) == (True, 8123, 1)
    # the HTTP parser that stops reading an oversized header block (httptools has no limit)
    assert (started[-1]["http"], started[-1]["h11_max_incomplete_event_size"]) == ("h11", 32768)
    keys = ApiKeys(make_engine(environment["ANSWERDESK_DATABASE_URL"]))
    assert keys.verify(printed[0]["demo-admin"]) is None  # the first start's keys are revoked
    current = keys.verify(printed[1]["demo-admin"])
    assert current is not None and current.role == "admin"
    assert sorted(k.name for k in keys.list_keys()) == ["demo-admin", "demo-agent"]


def test_serve_without_an_index_says_to_ingest_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve"], env=env(tmp_path))
    assert result.exit_code == 1 and "answerdesk ingest" in result.stderr
    assert result.stdout == ""
