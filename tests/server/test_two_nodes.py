"""Two `answerdesk serve` nodes over one PostgreSQL and one Redis, as behind a load balancer:
what a customer writes to one node, an agent sees and answers from the other; the rate limits
count once for both; and when one node dies under load, the other goes on and no acknowledged
message is lost. Each node reads its own copy of the same index (embedded Chroma)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from ingest.sync import SyncReport
from tests.conftest import postgres_schema
from tests.server.nodes import ANSWERDESK, REDIS, Node, redis_reachable

__all__ = ["redis_reachable"]  # fails the module when Redis is missing


@pytest.fixture
def database() -> Iterator[str]:
    yield from postgres_schema("nodes")


@pytest.fixture
def nodes(
    sample_index: tuple[Settings, SyncReport], tmp_path: Path, database: str
) -> Iterator[tuple[Node, Node, str]]:
    """Node A and node B, and an agent's API key."""
    settings, _ = sample_index
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSWERDESK_")}
    shared = {
        "ANSWERDESK_DATABASE_URL": database,
        "ANSWERDESK_REDIS_URL": REDIS,
        "ANSWERDESK_RATE_LIMIT_CONVERSATION_PER_MINUTE": "3",
        "ANSWERDESK_RATE_LIMIT_IP_PER_MINUTE": "100000",  # every test client is 127.0.0.1
    }
    envs = {}
    for name in ("a", "b"):
        shutil.copytree(settings.data_dir, tmp_path / name / "data")
        envs[name] = clean | shared | {"ANSWERDESK_DATA_DIR": str(tmp_path / name / "data")}
    node_a = Node(envs["a"], tmp_path / "a", "node-a")  # migrates the shared database first
    node_b = Node(envs["b"], tmp_path / "b", "node-b")
    try:
        created = subprocess.run(
            [ANSWERDESK, "keys", "create", "alice", "--role", "agent"],
            env=envs["b"], cwd=tmp_path / "b", capture_output=True, text=True, check=True,
        )  # fmt: skip
        key = re.search(r"\badk_[A-Za-z0-9_\-]+", created.stdout)
        assert key, created.stdout
        yield node_a, node_b, key.group(0)
    finally:
        node_a.stop()
        node_b.stop()


def open_chat(node: Node) -> tuple[str, dict[str, str]]:
    chat = node.call("POST", "/v1/conversations", {})
    return chat["id"], {"Authorization": f"Bearer {chat['token']}"}


def say(node: Node, chat: str, bearer: dict[str, str], text: str) -> Any:
    return node.call("POST", f"/v1/conversations/{chat}/messages", {"text": text}, **bearer)


def test_a_customer_on_one_node_gets_the_reply_of_an_agent_on_the_other(
    nodes: tuple[Node, Node, str],
) -> None:
    node_a, node_b, agent = nodes
    chat, bearer = open_chat(node_a)
    turn = say(node_a, chat, bearer, "get me a human please")
    assert turn["action"] == "handoff"
    case = turn["handoff"]["case_id"]
    queue = node_b.call("GET", "/v1/agent/cases", **{"X-API-Key": agent})
    assert case in [c["id"] for c in queue["cases"]]
    node_b.call("POST", f"/v1/agent/cases/{case}/claim", **{"X-API-Key": agent})
    node_b.call("POST", f"/v1/agent/cases/{case}/reply", {"text": "Hi, Alice here."},
                **{"X-API-Key": agent})  # fmt: skip
    seen = node_a.call("GET", f"/v1/conversations/{chat}", **bearer)
    assert [m["text"] for m in seen["messages"] if m["speaker"] == "agent"] == ["Hi, Alice here."]


def test_a_conversations_rate_limit_counts_messages_to_both_nodes(
    nodes: tuple[Node, Node, str],
) -> None:
    node_a, node_b, _ = nodes
    chat, bearer = open_chat(node_a)
    for node in (node_a, node_b, node_a):
        say(node, chat, bearer, "how do I reconnect my bank?")
    with pytest.raises(urllib.error.HTTPError) as refused:
        say(node_b, chat, bearer, "and how often does it sync?")
    assert refused.value.code == 429


def test_when_a_node_dies_under_load_the_other_goes_on_and_nothing_is_lost(
    nodes: tuple[Node, Node, str],
) -> None:
    node_a, node_b, _ = nodes
    sent: list[tuple[str, dict[str, str], str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def customer(n: int) -> None:
        """Writes to node A, as the balancer sends it; when A is gone, resends to B."""
        try:
            for i in range(6):
                text = f"customer {n} question {i}: how do I export my invoices?"
                for node in (node_a, node_b):
                    try:
                        chat, bearer = open_chat(node)
                        say(node, chat, bearer, text)
                        break
                    except (urllib.error.URLError, ConnectionError, TimeoutError):
                        continue  # this node is down: the balancer tries the other one
                else:
                    raise AssertionError(f"no node took {text!r}")
                with lock:
                    sent.append((chat, bearer, text))
                if n == 0 and i == 2:
                    node_a.kill()  # mid-load, with the other customers' requests in flight
        except BaseException as error:  # reported below, in the test thread
            errors.append(error)

    customers = [threading.Thread(target=customer, args=(n,)) for n in range(3)]
    for thread in customers:
        thread.start()
    for thread in customers:
        thread.join(timeout=300)
    assert not errors, errors
    assert len(sent) == 18  # every message was acknowledged by a node
    for chat, bearer, text in sent:  # …and each one is stored, as node B reads it
        seen = node_b.call("GET", f"/v1/conversations/{chat}", **bearer)
        assert text in [m["text"] for m in seen["messages"] if m["speaker"] == "customer"]
        assert any(m["speaker"] == "assistant" for m in seen["messages"]), "not answered"
