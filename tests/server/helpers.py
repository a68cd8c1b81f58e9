"""Helpers for the server tests: the caller's headers, a customer's chat, the app's state."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.testclient import TestClient

from assistant.service import SupportAssistant
from assistant.store import SqlCaseStore
from server.state import Runtime

Headers = dict[str, str]
MakeClient = Callable[..., TestClient]
ANSWERABLE = "pro vs business monthly price"
HUMAN = "I want to talk to a real person, please."


def runtime(client: TestClient) -> Runtime:
    state = client.app.state.runtime  # type: ignore[attr-defined]
    assert isinstance(state, Runtime)
    return state


def store(client: TestClient) -> SqlCaseStore:
    desk = runtime(client).desk
    assert desk is not None and isinstance(desk.store, SqlCaseStore)
    return desk.store


def key(client: TestClient, name: str, role: str = "agent") -> Headers:
    keys = runtime(client).keys
    assert keys is not None
    return {"X-API-Key": keys.create(name, role).key}


@dataclass(frozen=True)
class Chat:
    id: str
    headers: Headers  # the conversation's bearer token

    def url(self, rest: str = "") -> str:
        return f"/v1/conversations/{self.id}{rest}"


def start(client: TestClient, **customer: str) -> Chat:
    response = client.post("/v1/conversations", json={"customer": customer})
    assert response.status_code == 201, response.text
    body = response.json()
    return Chat(body["id"], {"Authorization": f"Bearer {body['token']}"})


def say(client: TestClient, chat: Chat, text: str, expect: int = 200) -> dict[str, Any]:
    response = client.post(chat.url("/messages"), json={"text": text}, headers=chat.headers)
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


def handed_off(client: TestClient, **customer: str) -> tuple[Chat, int]:
    """A conversation whose customer asked for a person: its case is open in the queue."""
    chat = start(client, email="pat@example.com", plan="business", **customer)
    reply = say(client, chat, HUMAN)
    assert reply["action"] == "handoff", reply
    return chat, reply["handoff"]["case_id"]


def assistant_copy(assistant: SupportAssistant) -> SupportAssistant:
    """The session's assistant, shallow-copied so a test may replace its methods."""
    return copy.copy(assistant)


T = TypeVar("T")


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run(main())` on a thread of its own: the browser tests' sync Playwright leaves
    this thread marked as running an event loop, where `asyncio.run` is refused."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()
