"""A real `answerdesk serve` killed mid-answer loses nothing and a retry duplicates nothing
(issue 12, item 7); and a server whose database and Chroma never answer still starts.

The answer is made slow for real: the model endpoint is a socket that never answers. The server
is killed (SIGKILL) while the turn waits for it; the restarted server hands the message to a
person (`backend_unavailable`), and the client's retry under the same `Idempotency-Key` gets
that hand-off without storing anything new."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.settings import Settings
from assistant.store import SqlCaseStore, make_engine
from ingest.sync import SyncReport
from tests.conftest import free_port
from tests.security.server.sockets import BlackHole
from tests.server.helpers import ANSWERABLE

pytestmark = [pytest.mark.server, pytest.mark.slow]
ANSWERDESK = str(Path(sys.executable).parent / "answerdesk")
KEY = "2f0c6a52-6d0e-4b59-9d55-5b1f7c1e9a01"


class Served:
    """`answerdesk serve` on a free port, with `env` on top of the environment."""

    def __init__(self, home: Path, name: str, **env: str) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = home / f"{name}.log"
        environment = {**os.environ, **{f"ANSWERDESK_{k.upper()}": v for k, v in env.items()}}
        command = [ANSWERDESK, "serve", "--port", self.url.rsplit(":", 1)[1]]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [*command, "--log-level", "warning"],
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_up(self, timeout: float = 180) -> float:
        """Seconds until /healthz answered."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                time.sleep(0.3)
        pytest.fail(f"the server did not start: {self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@pytest.fixture
def home(sample_index: tuple[Settings, SyncReport], tmp_path: Path) -> Path:
    settings, _ = sample_index
    shutil.copytree(settings.data_dir, tmp_path / "data")  # embedded Chroma: one process each
    return tmp_path


@pytest.fixture
def servers() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for server in started:
        server.stop(signal.SIGKILL)


def test_a_message_survives_a_crash_mid_answer_and_a_retry_stores_nothing_new(
    home: Path, servers: list[Served]
) -> None:
    database = f"sqlite:///{home / 'answerdesk.sqlite3'}"
    base = {"data_dir": str(home / "data"), "database_url": database}
    with BlackHole() as model:
        first = Served(
            home, "first", **base, chat_backend="openai", openai_base_url=f"{model.url}/v1",
            llm_timeout_seconds="600", llm_max_retries="0", turn_timeout_seconds="600",
        )  # fmt: skip
        servers.append(first)
        first.wait_until_up()
        new = httpx.post(f"{first.url}/v1/conversations", json={}).json()
        chat = f"/v1/conversations/{new['id']}"
        token = {"Authorization": f"Bearer {new['token']}"}

        def send(url: str) -> httpx.Response:
            return httpx.post(
                f"{url}{chat}/messages",
                json={"text": ANSWERABLE},
                headers={**token, "Idempotency-Key": KEY},
                timeout=60,
            )

        failed: list[BaseException] = []
        sending = threading.Thread(target=lambda: _catch(failed, send, first.url))
        sending.start()
        deadline = time.monotonic() + 60
        while model.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.1)  # the turn is now waiting for the model
        assert model.connections >= 1, first.log.read_text()[-3000:]
        first.stop(signal.SIGKILL)
        sending.join(timeout=30)
        assert failed, "the client should have seen the connection drop"

    store = SqlCaseStore(make_engine(database))
    try:
        stored = store.transcript(new["id"])
        assert [(m.speaker, m.text) for m in stored] == [("customer", ANSWERABLE)]  # kept
        assert store.list_cases(conversation_id=new["id"]) == []  # and nobody would see it

        # A restart (its turn deadline long past for the message) hands it to a person.
        second = Served(home, "second", **base, turn_timeout_seconds="2")
        servers.append(second)
        second.wait_until_up()
        deadline = time.monotonic() + 60
        while len(store.transcript(new["id"])) < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
        after = store.transcript(new["id"])
        assert [(m.speaker, m.kind) for m in after] == [
            ("customer", "message"),
            ("assistant", "handoff"),
        ], second.log.read_text()[-3000:]
        assert after[1].meta["reasons"] == ["backend_unavailable"]
        (case,) = store.list_cases(conversation_id=new["id"])
        assert "backend_unavailable" in case.tags

        # The client retries the message it never got an answer to: the hand-off, nothing new.
        retried = send(second.url)
        assert retried.status_code == 200, retried.text
        reply: dict[str, Any] = retried.json()
        assert reply["message_id"] == after[1].id
        assert (reply["action"], reply["handoff"]["case_id"]) == ("handoff", case.id)
        assert store.transcript(new["id"]) == after
    finally:
        store.close()


def _catch(failed: list[BaseException], send: Any, url: str) -> None:
    try:
        send(url)
    except BaseException as error:
        failed.append(error)


@pytest.mark.parametrize("shared", [False, True], ids=["index-on-disk", "shared-index"])
def test_start_up_with_a_database_and_chroma_that_never_answer(
    home: Path, servers: list[Served], shared: bool
) -> None:
    with BlackHole() as database, BlackHole() as chroma:
        served = Served(
            home,
            "outage",
            data_dir=str(home / "data"),
            database_url=f"postgresql+psycopg://u:pw@127.0.0.1:{database.port}/answerdesk",
            database_connect_timeout_seconds="2",
            chroma_url=chroma.url,
            chroma_timeout_seconds="2",
            shared_index=str(shared).lower(),
        )
        servers.append(served)
        served.wait_until_up()  # it starts at all (it used to hang for minutes)
        assert database.connections >= 1
        # With the index on disk, Chroma is tried too; a shared index reads its manifest
        # (in the silent database) first, so it never gets that far.
        assert shared or chroma.connections >= 1
        started = time.monotonic()
        ready = httpx.get(f"{served.url}/readyz", timeout=10)
        assert time.monotonic() - started < 2.0
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"index": "unavailable", "store": "unavailable"}
