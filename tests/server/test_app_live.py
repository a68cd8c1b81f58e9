"""The agents' live feed: every open console hears of a new case, a reply or a claim at once
over server-sent events, and a console that reconnects with `Last-Event-ID` misses nothing."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from assistant.settings import Settings
from assistant.store import Customer, NewCase, SqlCaseStore, make_engine, upgrade
from server.app import create_app
from server.live import tail
from server.state import Runtime
from tests.conftest import free_port
from tests.server.helpers import run_async


@dataclass(frozen=True)
class Live:
    url: str
    agent: dict[str, str]


@pytest.fixture
def live(app_settings: Settings) -> Iterator[Live]:
    app = create_app(app_settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, "127.0.0.1", port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    runtime = app.state.runtime
    assert isinstance(runtime, Runtime) and runtime.keys is not None
    yield Live(f"http://127.0.0.1:{port}", {"X-API-Key": runtime.keys.create("alice", "agent").key})
    server.should_exit = True
    thread.join(30)


def frames(response: httpx.Response) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(id, event type, payload) of each event frame; comments, `retry` and `ready` skipped."""
    buffer = ""
    for chunk in response.iter_text():
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "event" in fields and fields["event"] != "ready":
                yield int(fields["id"]), fields["event"], json.loads(fields["data"])


def hand_off(http: httpx.Client) -> tuple[str, dict[str, str]]:
    chat = http.post("/v1/conversations", json={"customer": {}}).json()
    bearer = {"Authorization": f"Bearer {chat['token']}"}
    reply = http.post(
        f"/v1/conversations/{chat['id']}/messages", json={"text": "get me a human"},
        headers=bearer,
    )  # fmt: skip
    assert reply.json()["action"] == "handoff", reply.text
    return chat["id"], bearer


def test_an_open_console_hears_of_a_new_case_at_once(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as http:
        with http.stream("GET", "/v1/agent/events", headers=live.agent) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            began = time.monotonic()
            results: dict[str, Any] = {}

            def customer() -> None:
                results["conversation"], _ = hand_off(httpx.Client(base_url=live.url, timeout=30))
                results["done"] = time.monotonic()

            threading.Thread(target=customer).start()
            seen = []
            for _, kind, payload in frames(stream):
                seen.append(kind)
                if kind == "case.created":
                    arrived, created = time.monotonic(), payload
                    break
        assert created["data"]["case"]["conversation_id"] == results["conversation"]
        assert seen[0] == "message.created"  # the customer's message came first
        assert arrived - began < 30 and arrived <= results.get("done", arrived) + 1.0


def test_a_reconnecting_console_resumes_after_its_last_event(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as http:
        conversation, _ = hand_off(http)
        first = http.get("/v1/agent/cases", headers=live.agent).json()["cases"][0]
        with http.stream("GET", "/v1/agent/events?after=0", headers=live.agent) as stream:
            everything = []
            for event_id, kind, _ in frames(stream):
                everything.append((event_id, kind))
                if kind == "case.created":
                    break
        assert [k for _, k in everything][-1] == "case.created"
        resume_from = everything[-1][0]
        http.post(f"/v1/agent/cases/{first['id']}/claim", headers=live.agent)
        resume = live.agent | {"Last-Event-ID": str(resume_from)}
        with http.stream("GET", "/v1/agent/events", headers=resume) as stream:
            resumed = []
            for event_id, kind, payload in frames(stream):
                resumed.append((event_id, kind))
                if kind == "case.claimed":
                    claimed = payload
                    break
        # Nothing missed, nothing again: the hand-off reply written after the case, the claim.
        assert [k for _, k in resumed] == ["message.created", "case.claimed"]
        assert resumed[0][0] > resume_from
        assert claimed["data"]["case"]["claimed_by"] == "alice"
        assert claimed["data"]["case"]["conversation_id"] == conversation


def test_the_stream_needs_an_agent_key(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as http:
        refused = http.get("/v1/agent/events")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"


def test_tail_sends_each_event_once_in_order_until_the_client_leaves(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    upgrade(engine)
    store = SqlCaseStore(engine, now=lambda: datetime.now(UTC))
    conversation = store.create_conversation(Customer()).id
    store.add_message(conversation, "customer", "Exports hang")
    gone = {"now": False}

    async def disconnected() -> bool:
        return gone["now"]

    async def read() -> list[str]:
        got: list[str] = []
        async for frame in tail(store, 0, disconnected, poll_seconds=0.01):
            got.append(frame)
            if len(got) == 3:  # the retry hint, ready, the message: now a case is opened
                store.open_case(conversation, NewCase({"issue": "Exports hang"}, 0.5, "reports"))
            if len(got) == 4:
                gone["now"] = True
        return got

    got = run_async(lambda: asyncio.wait_for(read(), 10))
    store.close()
    assert got[0].startswith("retry: ") and got[1].startswith("id: 0\nevent: ready\n")
    assert "event: message.created" in got[2] and "event: case.created" in got[3]
    assert len(got) == 4  # stopped when the client left
    ids = [int(f.split("\n")[0].removeprefix("id: ")) for f in got[1:]]
    assert ids == sorted(ids) and len(set(ids)) == 3
