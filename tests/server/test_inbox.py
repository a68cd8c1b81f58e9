"""A customer's message is stored once: a retry under the same `Idempotency-Key` gets the reply
stored for the first attempt, even while that attempt is still answering."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.service import SupportAssistant
from assistant.settings import Settings
from tests.server.helpers import (
    ANSWERABLE,
    HUMAN,
    Chat,
    MakeClient,
    assistant_copy,
    handed_off,
    key,
    start,
    store,
)
from tests.server.test_app_limits import desk_with


def post(client: TestClient, chat: Chat, text: str, idempotency_key: str | None) -> Any:
    headers = dict(chat.headers)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return client.post(chat.url("/messages"), json={"text": text}, headers=headers)


def spoken(client: TestClient, chat: Chat) -> list[tuple[str, str]]:
    return [(m.speaker, m.kind) for m in store(client).transcript(chat.id)]


def test_a_retry_under_the_same_key_gets_the_stored_reply_and_stores_nothing(
    client: TestClient,
) -> None:
    chat = start(client)
    first = post(client, chat, ANSWERABLE, "key-0001-aaaa")
    assert first.status_code == 200, first.text
    again = post(client, chat, ANSWERABLE, "key-0001-aaaa")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # the same message, answer, citations and decision
    assert spoken(client, chat) == [("customer", "message"), ("assistant", "answer")]
    said = store(client).transcript(chat.id)[0]
    assert said.meta["client_key"] == "key-0001-aaaa"


def test_another_key_or_no_key_is_another_message(client: TestClient) -> None:
    chat = start(client)
    first = post(client, chat, ANSWERABLE, "key-0002-aaaa").json()
    second = post(client, chat, ANSWERABLE, "key-0002-bbbb").json()
    third = post(client, chat, ANSWERABLE, None).json()
    assert len({first["message_id"], second["message_id"], third["message_id"]}) == 3
    assert [s for s, _ in spoken(client, chat)] == ["customer", "assistant"] * 3


def test_a_key_belongs_to_its_conversation(client: TestClient) -> None:
    one, two = start(client), start(client)
    assert post(client, one, ANSWERABLE, "key-0003-aaaa").status_code == 200
    assert post(client, two, ANSWERABLE, "key-0003-aaaa").status_code == 200
    assert len(spoken(client, one)) == len(spoken(client, two)) == 2


@pytest.mark.parametrize("bad", ["short", "has space in it", "x" * 129, "üñíçødé-key"])
def test_a_malformed_key_is_refused_before_anything_is_stored(client: TestClient, bad: str) -> None:
    chat = start(client)
    response = client.post(
        chat.url("/messages"),
        json={"text": ANSWERABLE},
        headers={**chat.headers, "Idempotency-Key": bad.encode()},  # bytes: any octets
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert spoken(client, chat) == []


def slow_client(
    make_client: MakeClient,
    app_settings: Settings,
    sample_assistant: SupportAssistant,
    seconds: float,
    **changes: Any,
) -> tuple[TestClient, Callable[[], int]]:
    """An app whose answers take `seconds`; and how many answers were computed."""
    slow, computed = assistant_copy(sample_assistant), [0]

    def respond(*args: Any, **kwargs: Any) -> Any:
        computed[0] += 1
        time.sleep(seconds)
        return sample_assistant.respond(*args, **kwargs)

    slow.respond = respond  # type: ignore[method-assign]
    client = make_client(desk=desk_with(app_settings, slow), **changes)
    return client, lambda: computed[0]


def test_a_retry_racing_the_first_attempt_waits_for_its_reply(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    client, computed = slow_client(make_client, app_settings, sample_assistant, 1.5)
    chat = start(client)
    with ThreadPoolExecutor(4) as pool:
        replies = list(
            pool.map(lambda _: post(client, chat, ANSWERABLE, "key-0004-aaaa"), range(4))
        )
    assert [r.status_code for r in replies] == [200] * 4, [r.text for r in replies]
    assert len({r.json()["message_id"] for r in replies}) == 1
    assert {r.json()["action"] for r in replies} == {"answer"}
    assert spoken(client, chat) == [("customer", "message"), ("assistant", "answer")]
    assert computed() == 1  # one answer computed, not one per attempt


def test_a_retry_after_the_deadline_gets_the_hand_off_that_replaced_the_answer(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    client, _ = slow_client(
        make_client, app_settings, sample_assistant, 3, turn_timeout_seconds=0.5
    )
    chat = start(client)
    first = post(client, chat, ANSWERABLE, "key-0005-aaaa")
    assert first.json()["decision"]["reasons"] == ["backend_unavailable"]
    again = post(client, chat, ANSWERABLE, "key-0005-aaaa")
    assert again.json()["message_id"] == first.json()["message_id"]
    assert again.json()["action"] == "handoff"
    assert again.json()["handoff"]["case_id"] == first.json()["handoff"]["case_id"]
    assert spoken(client, chat) == [("customer", "message"), ("assistant", "handoff")]


def test_a_retry_while_a_person_has_the_case_is_silent_again(client: TestClient) -> None:
    chat, case_id = handed_off(client)
    agent = key(client, "alice")
    claimed = client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    assert claimed.status_code == 200, claimed.text
    first = post(client, chat, "It still fails, any news?", "key-0006-aaaa")
    assert first.status_code == 200 and first.json()["action"] == "agent"
    again = post(client, chat, "It still fails, any news?", "key-0006-aaaa")
    assert again.json()["action"] == "agent" and again.json()["answer"] is None
    assert again.json()["handoff"]["case_id"] == case_id
    customer = [m for m in store(client).transcript(chat.id) if m.speaker == "customer"]
    assert [m.text for m in customer] == [HUMAN, "It still fails, any news?"]


def test_the_message_is_kept_before_the_answer_is_computed(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    client, _ = slow_client(make_client, app_settings, sample_assistant, 2)
    chat = start(client)
    sending = threading.Thread(target=post, args=(client, chat, ANSWERABLE, "key-0007-aaaa"))
    sending.start()
    deadline = time.monotonic() + 10
    while not spoken(client, chat) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert spoken(client, chat) == [("customer", "message")]  # kept while being answered
    sending.join()
    assert spoken(client, chat) == [("customer", "message"), ("assistant", "answer")]
