"""Real `answerdesk serve` processes on loopback, for tests of what only holds across
processes (a server killed mid-work, several workers, several nodes), and the machine's Redis
they share."""

from __future__ import annotations

import json
import os
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


class Node:
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

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class Worker:
    """One `answerdesk worker` process, consuming the job queue."""

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

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.kill()
