"""Keeping customers' data no longer than needed: `answerdesk purge`, `answerdesk erase` and
the admin erasure route, as an operator uses them (what qualifies is specified in
tests/contracts/test_case_store_privacy.py, on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.errors import AnswerdeskError
from assistant.settings import Settings
from assistant.store import Customer, SqlCaseStore, database_url, make_engine, upgrade
from server.cli import app
from server.cli_retention import parse_age
from tests.server.helpers import Headers, say, start

runner = CliRunner()


def _store(data_dir: Path, at: datetime) -> SqlCaseStore:
    engine = make_engine(database_url(Settings(data_dir=data_dir)))
    upgrade(engine)
    return SqlCaseStore(engine, now=lambda: at)


def _chat(store: SqlCaseStore, email: str) -> str:
    conversation = store.create_conversation(Customer(email=email)).id
    store.add_message(conversation, "customer", "My bank stopped syncing")
    return conversation


def test_purge_from_the_command_line_reports_and_dry_runs(tmp_path: Path) -> None:
    env = {"ANSWERDESK_DATA_DIR": str(tmp_path)}
    now = datetime.now(UTC)
    old = _store(tmp_path, now - timedelta(days=120))
    for email in ("a@x.example", "b@x.example"):
        _chat(old, email)
    recent = _store(tmp_path, now - timedelta(days=10))
    kept = _chat(recent, "c@x.example")

    dry = runner.invoke(app, ["purge", "--older-than", "90d", "--dry-run", "--json"], env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) == {"conversations": 2, "messages": 2, "cases": 0, "feedback": 0}
    assert len(recent.list_conversations()) == 3

    done = runner.invoke(app, ["purge", "--older-than", "12w"], env=env)
    assert done.exit_code == 0, done.output
    assert "purge: deleted" in done.stdout and "cutoff" in done.stdout
    assert [c.id for c in recent.list_conversations()] == [kept]

    bad = runner.invoke(app, ["purge", "--older-than", "90 days"], env=env)
    assert bad.exit_code == 2 and "like 90d" in bad.stderr
    old.close()
    recent.close()


@pytest.mark.parametrize(
    ("text", "age"),
    [("90d", timedelta(days=90)), ("12w", timedelta(weeks=12)), (" 36H ", timedelta(hours=36))],
)
def test_ages_are_a_number_and_a_unit(text: str, age: timedelta) -> None:
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["90", "d", "90 days", "-5d", "1y"])
def test_other_ages_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(AnswerdeskError, match="like 90d"):
        parse_age(text)


def test_erase_from_the_command_line(tmp_path: Path) -> None:
    env = {"ANSWERDESK_DATA_DIR": str(tmp_path)}
    store = _store(tmp_path, datetime.now(UTC))
    for email in ("maria@bakery.example", "Maria@Bakery.example"):
        _chat(store, email)
    other = _chat(store, "tom@joinery.example")
    result = runner.invoke(app, ["erase", "--email", "maria@bakery.example", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "conversations": 2, "messages": 2, "cases": 0, "feedback": 0,
    }  # fmt: skip
    assert [c.id for c in store.list_conversations()] == [other]
    store.close()


def test_an_admin_erases_one_customer_over_http(
    client: TestClient, agent: Headers, admin: Headers
) -> None:
    maria = start(client, email="maria@bakery.example")
    say(client, maria, "I want to talk to a real person, please.")
    client.post(maria.url("/feedback"), json={"csat": 2}, headers=maria.headers)
    tom = start(client, email="tom@joinery.example")
    url = "/v1/admin/customers"
    assert (
        client.delete(url, params={"email": "maria@bakery.example"}, headers=agent).status_code
        == 403
    )
    assert client.delete(url, params={"email": "maria@bakery.example"}).status_code == 401
    assert client.delete(url, headers=admin).status_code == 400  # which customer?

    erased = client.delete(url, params={"email": "MARIA@bakery.example"}, headers=admin)
    assert erased.status_code == 200, erased.text
    counts = erased.json()
    assert (counts["conversations"], counts["cases"], counts["feedback"]) == (1, 1, 1)
    assert counts["messages"] >= 2  # her message and the hand-off reply
    assert client.get(maria.url(), headers=maria.headers).status_code == 404
    assert client.get(tom.url(), headers=tom.headers).status_code == 200
    again = client.delete(url, params={"email": "maria@bakery.example"}, headers=admin)
    assert again.json()["conversations"] == 0
