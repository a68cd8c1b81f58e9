"""With `Accept: text/event-stream` the reply streams: a `sentence` event for each checked
sentence as a language model writes it, `retract` when the turn then does not answer, the
whole reply, then done. The extractive backend answers at once: no sentence events.

The streaming model here is a scripted fake around the `ChatModel.stream` seam; the last test
streams from the real llama.cpp server through a real HTTP server, and times the events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from assistant.backends.extractive import ExtractiveComposer
from assistant.desk import HelpDesk
from assistant.ports import Embedder
from assistant.service import SupportAssistant
from assistant.settings import Settings
from assistant.store import SqlCaseStore
from assistant.store.protocol import Customer
from assistant.types import Draft, GenerationRequest, Message
from server.app import create_app
from server.metrics import Metrics
from server.turns import TurnRunner
from tests.conftest import free_port
from tests.server.helpers import ANSWERABLE, HUMAN, Chat, MakeClient, run_async, start, store

STREAM = {"Accept": "text/event-stream"}
Events = list[tuple[str, Any]]
INVENTED = "Every plan also comes with a free hoodie for the whole team."


def parse(body: str) -> Events:
    parsed = []
    for block in body.strip().split("\n\n"):
        name, data = block.split("\n")
        assert name.startswith("event: ") and data.startswith("data: ")
        parsed.append((name[7:], json.loads(data[6:])))
    return parsed


def events(client: TestClient, chat: Chat, text: str) -> Events:
    response = client.post(
        chat.url("/messages"), json={"text": text}, headers=chat.headers | STREAM
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse(response.text)


def sentences(stream: Events) -> list[str]:
    return [data["text"] for name, data in stream if name == "sentence"]


class Scripted:
    """Writes the extractive draft behind an invented sentence, a few characters at a time.
    `hold` pauses the stream after its first sentence until set; `fail` breaks it there."""

    name = "scripted"

    def __init__(self, hold: threading.Event | None = None, fail: bool = False) -> None:
        self.hold = hold
        self.fail = fail
        self.finished = False

    def text(self, request: GenerationRequest) -> str:
        return f"{INVENTED} {ExtractiveComposer().generate(request).text}"

    def generate(self, request: GenerationRequest) -> Draft:
        return Draft(self.text(request))

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        text = self.text(request)
        for n in range(0, len(text), 5):
            if n > len(text) // 2 and (self.hold or self.fail):
                if self.fail:
                    raise ConnectionError("the model server went away")
                assert self.hold is not None
                self.hold.wait(20)
                self.hold = None
            yield text[n : n + 5]
        self.finished = True

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        return None


def client_with(
    make_client: MakeClient,
    app_settings: Settings,
    sample_assistant: SupportAssistant,
    model: Scripted,
    **changes: Any,
) -> TestClient:
    assistant = dataclasses.replace(sample_assistant, chat_model=model)
    store = SqlCaseStore.from_settings(app_settings)
    desk = HelpDesk.from_settings(app_settings, store=store, assistant=assistant)
    return make_client(desk=desk, **changes)


# The extractive backend


def test_an_extractive_answer_is_the_reply_then_done(client: TestClient) -> None:
    chat = start(client)
    stream = events(client, chat, ANSWERABLE)
    assert [name for name, _ in stream] == ["reply", "done"] and stream[-1][1] == {}
    reply = stream[0][1]
    assert reply["action"] == "answer" and reply["answer"]
    assert reply["citations"] and reply["message_id"]
    stored = client.get(chat.url(), headers=chat.headers).json()["messages"][-1]
    assert stored["id"] == reply["message_id"] and stored["text"] == reply["answer"]


def test_a_handoff_streams_the_case(client: TestClient) -> None:
    chat = start(client, email="lee@example.com")
    stream = dict(events(client, chat, HUMAN))
    assert set(stream) == {"reply", "done"}
    assert stream["reply"]["action"] == "handoff" and stream["reply"]["handoff"]["case_id"]


def test_a_reported_incident_streams_first_and_a_how_to_never_hears_of_it(
    client: TestClient,
) -> None:
    store(client).open_incident("Bank feeds delayed", ["banking"], "identified", "Late.", "ops")
    stream = events(client, start(client), "My bank feed stopped syncing since this morning")
    assert [name for name, _ in stream] == ["sentence", "reply", "done"]  # nothing retracted
    told, reply = stream[0][1]["text"], stream[1][1]
    assert told.startswith("Known issue (identified): Bank feeds delayed.")
    assert reply["incident"]["title"] == "Bank feeds delayed" and reply["answer"].startswith(told)
    how_to = events(client, start(client), ANSWERABLE)
    assert [name for name, _ in how_to] == ["reply", "done"] and how_to[0][1]["incident"] is None


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


# A streaming language model (scripted)


def test_checked_sentences_stream_before_the_reply_and_make_up_its_answer(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    client = client_with(make_client, app_settings, sample_assistant, Scripted())
    chat = start(client)
    stream = events(client, chat, ANSWERABLE)
    names, shown = [name for name, _ in stream], sentences(stream)
    assert shown and names == ["sentence"] * len(shown) + ["reply", "done"]
    assert not any("hoodie" in s for s in shown)  # failed the check: never sent
    reply = stream[-2][1]
    assert reply["action"] == "answer" and "hoodie" not in reply["answer"]
    assert " ".join(" ".join(shown).split()) == " ".join(reply["answer"].split())


def test_a_turn_triage_hands_off_streams_no_sentence(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    client = client_with(make_client, app_settings, sample_assistant, Scripted())
    chat = start(client, email="lee@example.com")
    stream = events(client, chat, f"{ANSWERABLE}? {HUMAN}")
    assert [name for name, _ in stream] == ["reply", "done"]
    assert stream[0][1]["action"] != "answer"


def test_sentences_of_a_turn_that_then_hands_off_are_retracted(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    client = client_with(make_client, app_settings, sample_assistant, Scripted(fail=True))
    chat = start(client, email="lee@example.com")
    stream = events(client, chat, ANSWERABLE)
    shown = sentences(stream)
    assert shown and [name for name, _ in stream][len(shown) :] == ["retract", "reply", "done"]
    assert stream[len(shown)][1] == {"sentences": len(shown)}
    reply = stream[-2][1]
    assert reply["action"] != "answer" and "backend_unavailable" in reply["decision"]["reasons"]


def test_a_timed_out_turn_is_retracted(
    make_client: MakeClient, app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    hold = threading.Event()
    client = client_with(
        make_client, app_settings, sample_assistant, Scripted(hold), turn_timeout_seconds=4
    )
    chat = start(client, email="kim@example.com")
    stream = events(client, chat, ANSWERABLE)
    shown = sentences(stream)
    assert shown and [name for name, _ in stream][len(shown) :] == ["retract", "reply", "done"]
    assert stream[-2][1]["decision"]["reasons"] == ["backend_unavailable"]
    hold.set()


def test_the_late_sentences_of_a_timed_out_turn_are_never_delivered(
    app_settings: Settings, sample_assistant: SupportAssistant
) -> None:
    hold, model = threading.Event(), Scripted()
    model.hold = hold
    assistant = dataclasses.replace(sample_assistant, chat_model=model)
    desk = HelpDesk.from_settings(app_settings, SqlCaseStore.from_settings(app_settings), assistant)
    runner = TurnRunner(desk, timeout=4, threads=1, metrics=Metrics())
    chat = desk.start(Customer(email="kim@example.com"))
    delivered: list[str] = []

    async def turn() -> tuple[Any, list[str]]:
        result = await runner.send(chat.id, chat.token, ANSWERABLE, on_sentence=delivered.append)
        before = list(delivered)
        hold.set()  # the abandoned turn now writes the rest of its answer
        await asyncio.to_thread(runner._pool.shutdown, wait=True)
        await asyncio.sleep(0.2)  # any sentence it handed to the loop would be delivered now
        return result, before

    result, before = run_async(turn)
    assert result.action == "handoff" and result.reasons == ["backend_unavailable"]
    assert before and model.finished  # it did go on streaming after the hand-off…
    assert delivered == before  # …and none of it arrived


# The real llama.cpp server, through a real HTTP server


@dataclasses.dataclass
class LiveApp:
    url: str
    server: uvicorn.Server


@pytest.fixture
def llm_app(
    llama_server: str,
    app_settings: Settings,
    embedder: Embedder,
    tmp_path: Path,
) -> Iterator[LiveApp]:
    settings = app_settings.model_copy(
        update={
            "chat_backend": "openai",
            "openai_base_url": llama_server,
            "openai_model": "bundled",
            "llm_max_tokens": 120,
            "llm_timeout_seconds": 180,
            "llm_max_retries": 0,
            "turn_timeout_seconds": 300,
        }
    )
    assistant = SupportAssistant.from_settings(settings, embedder)
    desk = HelpDesk.from_settings(settings, SqlCaseStore.from_settings(settings), assistant)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, desk=desk), "127.0.0.1", port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield LiveApp(f"http://127.0.0.1:{port}", server)
    server.should_exit = True
    thread.join(30)
    assistant.index.close()


@pytest.mark.server
@pytest.mark.slow
def test_the_llama_server_streams_checked_sentences_before_the_reply(llm_app: LiveApp) -> None:
    with httpx.Client(base_url=llm_app.url, timeout=300) as http:
        started = http.post("/v1/conversations", json={"customer": {}}).json()
        headers = {"Authorization": f"Bearer {started['token']}"} | STREAM
        url = f"/v1/conversations/{started['id']}/messages"
        timed: list[tuple[float, str, Any]] = []
        begin = time.monotonic()
        question = "How do I turn on two-factor authentication for my login?"
        with http.stream("POST", url, json={"text": question}, headers=headers) as response:
            assert response.status_code == 200
            buffer = ""
            for chunk in response.iter_text():
                buffer += chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    ((name, data),) = parse(block)
                    timed.append((time.monotonic() - begin, name, data))
    print([(round(t, 2), name, data.get("text", "")) for t, name, data in timed])
    names = [name for _, name, _ in timed]
    assert names[-2:] == ["reply", "done"]
    shown = [(t, data["text"]) for t, name, data in timed if name == "sentence"]
    assert shown, "no sentence arrived before the reply"
    reply_at, reply = timed[-2][0], timed[-2][2]
    assert shown[0][0] < reply_at, "the first sentence came with the reply, not before it"
    answer = " ".join((reply["answer"] or "").split())
    retracted = "retract" in names
    assert retracted or all(" ".join(text.split()) in answer for _, text in shown)
