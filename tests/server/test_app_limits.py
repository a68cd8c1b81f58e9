"""Limits refuse before anything is stored; a slow or failing assistant never hangs a customer;
a store that is down gives a clear 503."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.service import SupportAssistant
from assistant.settings import Settings
from assistant.store import SqlCaseStore, make_engine
from server.limits import RateLimiter
from tests.server.helpers import (
    ANSWERABLE,
    Chat,
    MakeClient,
    assistant_copy,
    runtime,
    say,
    start,
    store,
)

DEAD_POSTGRES = "postgresql+psycopg://answerdesk@127.0.0.1:1/answerdesk"


def transcript(client: TestClient, chat: Chat) -> list[tuple[str, str]]:
    return [(m.speaker, m.text) for m in store(client).transcript(chat.id)]


def post_message(client: TestClient, chat: Chat, text: str, **headers: str) -> Any:
    return client.post(chat.url("/messages"), json={"text": text}, headers=chat.headers | headers)


# Size


def test_a_body_over_the_limit_is_413_before_it_is_read(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=2048)
    chat = start(client)
    response = post_message(client, chat, "x" * 3000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert "2,048 bytes" in response.json()["error"]["message"]
    assert transcript(client, chat) == []


def test_a_streamed_body_over_the_limit_is_413_too(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=2048)
    chat = start(client)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"text": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    response = client.post(
        chat.url("/messages"),
        content=chunks(),
        headers={**chat.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert transcript(client, chat) == []


def test_a_message_over_the_length_limit_is_413_and_not_stored(make_client: MakeClient) -> None:
    client = make_client(max_message_chars=50)
    chat = start(client)
    response = post_message(client, chat, "word " * 20)
    assert response.status_code == 413
    assert "100 characters; the limit is 50" in response.json()["error"]["message"]
    assert transcript(client, chat) == []
    assert post_message(client, chat, "hello").status_code == 200  # within it is fine


# Rate


def test_messages_per_conversation_per_minute_are_limited(make_client: MakeClient) -> None:
    client = make_client(rate_limit_conversation_per_minute=2)
    chat, other = start(client), start(client)
    say(client, chat, ANSWERABLE)
    say(client, chat, "and annual?")
    before = transcript(client, chat)
    refused = post_message(client, chat, "third")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert transcript(client, chat) == before
    say(client, other, ANSWERABLE)  # another conversation has its own budget


def test_customer_writes_per_ip_per_minute_are_limited(make_client: MakeClient) -> None:
    client = make_client(rate_limit_ip_per_minute=3)
    chat = start(client)  # 1
    say(client, chat, ANSWERABLE)  # 2
    say(client, chat, "thanks")  # 3
    refused = client.post("/v1/conversations")
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert post_message(client, chat, "again").status_code == 429
    assert len(transcript(client, chat)) == 4


def test_the_rate_limiter_slides_and_counts_only_what_it_admits() -> None:
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limiter.admit(("conversation", "a", 2), ("ip", "1.2.3.4", 3))
    now[0] += 10
    limiter.admit(("conversation", "a", 2), ("ip", "1.2.3.4", 3))
    now[0] += 10
    with pytest.raises(AnswerdeskError) as refused:
        limiter.admit(("conversation", "a", 2), ("ip", "1.2.3.4", 3))
    assert refused.value.retry_after == 40  # type: ignore[attr-defined]
    limiter.admit(("conversation", "b", 2), ("ip", "1.2.3.4", 3))  # the refusal used no budget
    now[0] += 41  # the first message left the window: room for one more in "a"
    limiter.admit(("conversation", "a", 2), ("ip", "1.2.3.4", 3))
    with pytest.raises(AnswerdeskError, match="from your network") as refused:
        limiter.admit(("conversation", "c", 2), ("ip", "1.2.3.4", 3))
    assert refused.value.retry_after == 9  # type: ignore[attr-defined]


# Slow or failing answers


def desk_with(app_settings: Settings, assistant: SupportAssistant) -> HelpDesk:
    return HelpDesk.from_settings(
        app_settings, store=SqlCaseStore.from_settings(app_settings), assistant=assistant
    )


def test_a_turn_that_takes_too_long_is_handed_off_not_hung(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    slow, stuck = assistant_copy(sample_assistant), threading.Event()

    def respond(*args: Any, **kwargs: Any) -> Any:
        stuck.wait(10)  # until the test lets it finish, long after the deadline
        return sample_assistant.respond(*args, **kwargs)

    slow.respond = respond  # type: ignore[method-assign]
    client = make_client(desk=desk_with(app_settings, slow), turn_timeout_seconds=0.5)
    chat = start(client, email="kim@example.com")
    started = time.monotonic()
    reply = say(client, chat, ANSWERABLE)
    assert time.monotonic() - started < 5
    assert reply["action"] == "handoff"
    assert reply["decision"]["reasons"] == ["backend_unavailable"]
    case = store(client).case(reply["handoff"]["case_id"])
    assert case.summary["handoff_reasons"] == ["backend_unavailable"]
    assert case.summary["description"] == ANSWERABLE
    handed_off = transcript(client, chat)
    assert [speaker for speaker, _ in handed_off] == ["customer", "assistant"]

    stuck.set()  # the abandoned turn now finishes: it must not write anything
    turns = runtime(client).turns
    assert turns is not None
    turns._pool.shutdown(wait=True)
    assert transcript(client, chat) == handed_off


def test_an_assistant_that_raises_hands_off_with_backend_unavailable(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    broken = assistant_copy(sample_assistant)

    def respond(*_: Any, **__: Any) -> Any:
        raise AnswerdeskError(ErrorCode.INDEX_UNAVAILABLE, "cannot reach the Chroma index")

    broken.respond = respond  # type: ignore[method-assign]
    client = make_client(desk=desk_with(app_settings, broken))
    chat = start(client)
    reply = say(client, chat, ANSWERABLE)
    assert (reply["action"], reply["decision"]["reasons"]) == ("handoff", ["backend_unavailable"])
    assert reply["handoff"]["status"] == "open" and "person" in reply["answer"]
    seen = client.get(chat.url(), headers=chat.headers).json()
    assert seen["status"] == "handed_off"
    assert [m["kind"] for m in seen["messages"]] == ["message", "handoff"]
    metrics = client.get("/metrics").text
    assert 'answerdesk_handoffs_total{reason="backend_unavailable"} 1.0' in metrics


def test_when_the_store_fails_too_the_client_gets_503(
    make_client: MakeClient,
    app_settings: Settings,
    sample_assistant: SupportAssistant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = assistant_copy(sample_assistant)
    desk = desk_with(app_settings, broken)

    def respond(*_: Any, **__: Any) -> Any:
        def down(*_: Any, **__: Any) -> Any:
            raise AnswerdeskError(ErrorCode.STORE_UNAVAILABLE, "The conversation store is down.")

        monkeypatch.setattr(desk.store, "open_case", down)
        raise RuntimeError("the assistant broke")

    broken.respond = respond  # type: ignore[method-assign]
    client = make_client(desk=desk)
    chat = start(client)
    response = post_message(client, chat, ANSWERABLE)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "store_unavailable"
    assert error["message"].startswith("The conversation store is unavailable right now")


def test_a_dead_database_gives_clear_503s_and_the_server_still_starts(
    make_client: MakeClient,
) -> None:
    client = make_client(database_url=DEAD_POSTGRES)
    assert client.get("/healthz").status_code == 200
    response = client.post("/v1/conversations", json={})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "store_unavailable"
    assert "unavailable" in error["message"]  # where the database is: in the log only
    agent = client.get("/v1/agent/me", headers={"X-API-Key": "adk_whatever"})
    assert agent.status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks == {"index": "ok", "store": "unavailable"}


def test_a_dead_database_behind_a_given_desk_is_503_too(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    dead = SqlCaseStore(make_engine(DEAD_POSTGRES))
    client = make_client(desk=HelpDesk.from_settings(app_settings, dead, sample_assistant))
    response = client.post(
        "/v1/conversations/abc/messages",
        json={"text": "hi"},
        headers={"Authorization": "Bearer t"},
    )
    assert response.status_code == 503
    assert json.loads(response.text)["error"]["code"] == "store_unavailable"
