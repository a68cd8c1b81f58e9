"""Real `answerdesk serve` processes on loopback, for tests of what only holds across
processes (a server killed mid-work, several workers, several nodes), and the machine's Redis
they share."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import free_port

REDIS = os.environ.get("ANSWERDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module", autouse=True)
def redis_reachable() -> None:
    """Fails (never skips) a module that uses it when Redis is missing: a shared state tested
    against a fake proves nothing."""
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.fail(f"these tests need Redis at {REDIS} ({error})")


ANSWERDESK = str(Path(sys.executable).parent / "answerdesk")


def create_key(env: dict[str, str], home: Path, name: str, role: str) -> str:
    """An API key made with `answerdesk keys create`, as an operator makes one."""
    created = subprocess.run(
        [ANSWERDESK, "keys", "create", name, "--role", role],
        env=env, cwd=home, capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = re.search(r"\badk_[A-Za-z0-9_\-]+", created.stdout)
    assert key, created.stdout
    return key.group(0)


# An article the sample knowledge base lacks: a re-index that adds it is seen in the answers.
NEW_ARTICLE = """\
---
title: Export receipts to Quillbox
url: https://help.tallybook.example/articles/quillbox
product_area: integrations
---

## Send receipts to Quillbox

To send your receipts to Quillbox, open Settings → Integrations → Quillbox and press
Connect. Tallybook then sends every new receipt to your Quillbox vault within five minutes.
"""


class Process:
    """A child process of the test: killed outright, or stopped (killed if it will not stop)."""

    process: subprocess.Popen[bytes]
    grace = 20.0  # seconds to stop before it is killed

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(self.grace)
            except subprocess.TimeoutExpired:
                self.kill()


class Node(Process):
    """One `answerdesk serve` process."""

    def __init__(self, env: dict[str, str], home: Path, name: str, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / f"{name}.log"
        command = [ANSWERDESK, "serve", "--host", "127.0.0.1", "--port", str(self.port), *args]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/readyz", timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"{name} did not start: {self.log.read_text()[-2000:]}")
                time.sleep(0.2)

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", **headers},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")


class Worker(Process):
    """One `answerdesk worker` process, consuming the job queue."""

    grace = 40.0  # it finishes or hands back the job in progress

    def __init__(self, env: dict[str, str], home: Path, name: str) -> None:
        self.log = home / f"{name}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [ANSWERDESK, "worker"], env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while "consuming the job queue" not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{name} did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)
