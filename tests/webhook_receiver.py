"""A real webhook receiver on loopback, for the tests: verifies each delivery's signature,
deduplicates by event id (as the README tells receivers to), and can be told to fail or stall."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assistant.webhooks.signing import HEADER, SignatureError, verify

SECRET = "whsec_test-receiver-secret-000001"  # what the tests subscribe with


@dataclass
class Received:
    event_id: str
    body: dict[str, Any]
    headers: dict[str, str]
    timestamp: int


@dataclass
class Script:
    """What the receiver answers: `fail` more times with `status`, stalls of `delay` s."""

    fail: int = 0
    status: int = 500
    delay: float = 0.0
    stall: threading.Event | None = None  # hold every request until this is set


@dataclass
class Receiver:
    secret: str
    script: Script = field(default_factory=Script)
    requests: int = 0
    rejected: list[str] = field(default_factory=list)  # bad signatures
    received: dict[str, Received] = field(default_factory=dict)  # by event id: deduplicated
    duplicates: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests += 1
                    failing = receiver.script.fail > 0
                    receiver.script.fail -= 1 if failing else 0
                if receiver.script.stall is not None:
                    receiver.script.stall.wait(30)
                time.sleep(receiver.script.delay)
                if failing:
                    self._answer(receiver.script.status)
                    return
                try:
                    stamp = verify(receiver.secret, self.headers.get(HEADER, ""), body)
                except SignatureError as error:
                    receiver.rejected.append(str(error))
                    self._answer(400)
                    return
                payload = json.loads(body)
                event_id = self.headers.get("Answerdesk-Event-Id", "")
                with receiver.lock:
                    if event_id in receiver.received:
                        receiver.duplicates += 1
                    else:
                        receiver.received[event_id] = Received(
                            event_id, payload, dict(self.headers.items()), stamp
                        )
                self._answer(204)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"{len(self.received)} of {count} events arrived"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started receiver that verifies with `SECRET`; import it with `SECRET` where needed."""
    receiver = Receiver(SECRET)
    receiver.start()
    yield receiver
    receiver.stop()
