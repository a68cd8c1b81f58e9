"""`answerdesk webhooks`: an admin subscribes a receiver, tests it, reads the delivery log,
replays a delivery and removes the subscription, at the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assistant.settings import Settings
from assistant.store import Customer, NewCase, SqlCaseStore
from server.cli import app
from tests.webhook_receiver import Receiver, Script, receiver

__all__ = ["receiver"]  # the shared receiver fixture

runner = CliRunner()


def test_an_admin_subscribes_tests_delivers_replays_and_removes(
    tmp_path: Path, receiver: Receiver
) -> None:
    env = {"ANSWERDESK_DATA_DIR": str(tmp_path / "data"), "ANSWERDESK_WEBHOOK_ALLOW_PRIVATE": "1"}
    url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
    refused = runner.invoke(app, ["webhooks", "add", url, "--event", "case.created"], env={
        "ANSWERDESK_DATA_DIR": str(tmp_path / "data")
    })  # fmt: skip
    assert refused.exit_code != 0 and "not a public address" in refused.output

    added = runner.invoke(
        app, ["webhooks", "add", url, "--event", "case.created", "--event", "message.created"],
        env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip()
    assert secret.startswith("whsec_")
    receiver.secret = secret  # the receiver verifies with what was printed

    tested = runner.invoke(app, ["webhooks", "test", "1"], env=env)
    assert tested.exit_code == 0 and "delivered: HTTP 204" in tested.stdout
    assert [r.body["type"] for r in receiver.received.values()] == ["ping"]

    store = SqlCaseStore.from_settings(Settings(data_dir=tmp_path / "data"))
    conversation = store.create_conversation(Customer(email="lee@example.com")).id
    store.add_message(conversation, "customer", "Invoices won't send")
    store.open_case(conversation, NewCase({"issue": "Invoices won't send"}, 0.7, "invoicing"))
    store.close()
    receiver.script = Script(fail=1, status=500)
    delivered = runner.invoke(app, ["webhooks", "deliver", "--once"], env=env)
    assert delivered.exit_code == 0, delivered.output
    log = runner.invoke(app, ["webhooks", "deliveries", "--json"], env=env)
    rows = [json.loads(line) for line in log.stdout.splitlines()]
    assert {r["event_type"] for r in rows} == {"case.created", "message.created"}
    failed = [r for r in rows if r["status"] == "pending"]
    assert len(failed) == 1 and failed[0]["last_status"] == 500  # retried later, not lost

    replayed = runner.invoke(app, ["webhooks", "replay", str(failed[0]["id"])], env=env)
    assert replayed.exit_code == 0
    runner.invoke(app, ["webhooks", "deliver", "--once"], env=env)
    assert len(receiver.received) == 3 and receiver.rejected == []

    listed = runner.invoke(app, ["webhooks", "list", "--json"], env=env)
    (hook,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert hook["status"] == "active" and hook["secret_hint"] == secret[:8]
    assert "secret" not in hook
    assert runner.invoke(app, ["webhooks", "remove", "1"], env=env).exit_code == 0
    gone = runner.invoke(app, ["webhooks", "test", "1"], env=env)
    assert gone.exit_code != 0 and "No webhook 1" in gone.output
