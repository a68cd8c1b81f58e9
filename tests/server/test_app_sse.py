"""With `Accept: text/event-stream` the reply streams: token events, then the reply, then done."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.routes.customer import word_groups
from tests.server.helpers import ANSWERABLE, HUMAN, Chat, start

STREAM = {"Accept": "text/event-stream"}


def events(client: TestClient, chat: Chat, text: str) -> list[tuple[str, Any]]:
    response = client.post(
        chat.url("/messages"), json={"text": text}, headers=chat.headers | STREAM
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    parsed = []
    for block in response.text.strip().split("\n\n"):
        name, data = block.split("\n")
        assert name.startswith("event: ") and data.startswith("data: ")
        parsed.append((name[7:], json.loads(data[6:])))
    return parsed


def test_an_answer_streams_as_tokens_then_the_whole_reply_then_done(client: TestClient) -> None:
    chat = start(client)
    stream = events(client, chat, ANSWERABLE)
    names = [name for name, _ in stream]
    assert names[-2:] == ["reply", "done"] and stream[-1][1] == {}
    tokens = [data["text"] for name, data in stream if name == "token"]
    assert len(tokens) >= 3 and names[: len(tokens)] == ["token"] * len(tokens)
    reply = stream[-2][1]
    assert reply["action"] == "answer" and "".join(tokens) == reply["answer"]
    assert reply["citations"] and reply["message_id"]
    stored = client.get(chat.url(), headers=chat.headers).json()["messages"][-1]
    assert stored["id"] == reply["message_id"] and stored["text"] == reply["answer"]


def test_a_handoff_streams_its_message_and_the_case(client: TestClient) -> None:
    chat = start(client, email="lee@example.com")
    stream = events(client, chat, HUMAN)
    reply = dict(stream)["reply"]
    assert reply["action"] == "handoff" and reply["handoff"]["case_id"]
    assert "".join(d["text"] for n, d in stream if n == "token") == reply["answer"]


def test_a_refusal_is_a_plain_json_error_not_a_stream(client: TestClient) -> None:
    chat = start(client)
    response = client.post(
        chat.url("/messages"),
        json={"text": "hi"},
        headers={"Authorization": "Bearer wrong"} | STREAM,
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "text", ["", "one", "  leading and trailing  ", "a b c d e f g", "line\nbreak  and\ttab"]
)
def test_word_groups_put_back_together_are_the_text(text: str) -> None:
    groups = word_groups(text)
    assert "".join(groups) == text
    assert all(len(g.split()) <= 3 for g in groups)
