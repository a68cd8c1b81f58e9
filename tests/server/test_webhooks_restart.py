"""No webhook delivery is lost when a server dies mid-delivery: real `answerdesk serve`
processes over one database, the first killed (SIGKILL) while a receiver holds a delivery, the
second delivering everything after it; the receiver, deduplicating by event id as receivers
are told to, has each event exactly once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from assistant.settings import Settings
from assistant.store import SqlCaseStore
from ingest.sync import SyncReport
from tests.server.nodes import ANSWERDESK, Node
from tests.webhook_receiver import SECRET, Receiver, Script, receiver

__all__ = ["receiver"]  # the shared receiver fixture


@pytest.fixture
def home(sample_index: tuple[Settings, SyncReport], tmp_path: Path) -> Path:
    settings, _ = sample_index
    shutil.copytree(settings.data_dir, tmp_path / "data")
    return tmp_path


def test_a_server_killed_mid_delivery_loses_no_event(home: Path, receiver: Receiver) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSWERDESK_")}
    env = clean | {
        "ANSWERDESK_DATA_DIR": str(home / "data"),
        "ANSWERDESK_WEBHOOK_ALLOW_PRIVATE": "true",
        "ANSWERDESK_WEBHOOK_POLL_SECONDS": "0.1",
        "ANSWERDESK_WEBHOOK_TIMEOUT_SECONDS": "1",  # a lease of 7 s
        "ANSWERDESK_WEBHOOK_BACKOFF_SECONDS": "0.5",
    }
    created = subprocess.run(
        [ANSWERDESK, "keys", "create", "ops", "--role", "admin"],
        env=env, cwd=home, capture_output=True, text=True, check=True,
    )  # fmt: skip
    admin = re.search(r"\badk_[A-Za-z0-9_\-]+", created.stdout)
    assert admin, created.stdout
    stall = threading.Event()
    receiver.script = Script(stall=stall)  # every request waits: one is in flight at the kill

    first = Node(env, home, "first")
    try:
        url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
        hook = {"url": url, "events": ["case.created", "message.created"], "secret": SECRET}
        first.call("POST", "/v1/admin/webhooks", hook, **{"X-API-Key": admin.group(0)})
        for n in range(4):
            chat = first.call("POST", "/v1/conversations", {})
            bearer = {"Authorization": f"Bearer {chat['token']}"}
            path = f"/v1/conversations/{chat['id']}/messages"
            text = "get me a human please" if n % 2 else f"how do I reconnect my bank {n}"
            first.call("POST", path, {"text": text}, **bearer)
        deadline = time.monotonic() + 20
        while receiver.requests == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.requests >= 1, "no delivery started"
        first.kill()  # mid-delivery: the receiver still holds the request
    finally:
        first.stop()
    stall.set()
    receiver.script = Script()

    store = SqlCaseStore.from_settings(Settings(data_dir=home / "data"))
    try:
        expected = {d.event.key for d in store.deliveries(limit=1000)}
        assert len(expected) >= 10  # 4 chats: their messages, and 2 cases
        assert any(d.status == "pending" for d in store.deliveries(limit=1000))
        second = Node(env, home, "second")
        try:
            receiver.wait_for(len(expected), timeout=60)
            # The receiver has every event; the node marks each delivered once it has the
            # answer: wait for that too before stopping it (else it stays pending, to resend).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(
                d.status != "delivered" for d in store.deliveries(limit=1000)
            ):
                time.sleep(0.2)
        finally:
            second.stop()
        assert set(receiver.received) == expected  # every event, each once after dedupe
        assert receiver.rejected == []
        assert {d.status for d in store.deliveries(limit=1000)} == {"delivered"}
    finally:
        store.close()
