"""Two `answerdesk serve` nodes and one `answerdesk worker` over one PostgreSQL, one Chroma server
and one Redis, as behind a load balancer: what a customer writes to one node, an agent sees and
answers from the other; a re-index asked of one node runs in the worker and is answered from on
the other; the rate limits count once for both; and
when one node dies under load, the other goes on and no acknowledged message is lost. Node B
starts with an empty data folder: the index it serves is the one the shared engines hold."""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from assistant.ports import Embedder
from assistant.settings import Settings
from ingest.sync import Indexer
from tests.conftest import SAMPLE_KB, postgres_schema
from tests.server.nodes import NEW_ARTICLE, REDIS, Node, Worker, create_key, redis_reachable

__all__ = ["redis_reachable"]  # fails the module when Redis is missing
SHARED_REDIS = REDIS.rsplit("/", 1)[0] + "/6"  # a database of this module's own, emptied first


@dataclass(frozen=True)
class Engines:
    """The shared engines with the help center indexed, and what each node is started with."""

    envs: dict[str, dict[str, str]]
    homes: dict[str, Path]  # node A, node B and the worker
    worker: Worker  # one for the module: only a re-index needs it
    agent: str  # API keys
    admin: str
    kb: Path


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, chroma_server: str, embedder: Embedder
) -> Iterator[Engines]:
    """One PostgreSQL schema and the Chroma server for the module, with the help center's
    articles indexed once; node A's folder holds the knowledge base, node B's nothing."""
    root = tmp_path_factory.mktemp("nodes")
    kb = root / "kb"
    shutil.copytree(SAMPLE_KB / "articles", kb / "articles")
    redis.Redis.from_url(SHARED_REDIS).flushdb()
    for database in postgres_schema("nodes"):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSWERDESK_")}
        shared = {
            "ANSWERDESK_DATABASE_URL": database,
            "ANSWERDESK_CHROMA_URL": chroma_server,
            "ANSWERDESK_SHARED_INDEX": "true",
            "ANSWERDESK_REDIS_URL": SHARED_REDIS,
            "ANSWERDESK_JOBS": "queue",  # re-indexing runs in the worker
            "ANSWERDESK_SOURCES": f'["{kb}"]',
            "ANSWERDESK_SELF_CALIBRATE": "false",  # the packaged calibration: answers aren't tested
            "ANSWERDESK_RATE_LIMIT_CONVERSATION_PER_MINUTE": "3",
            "ANSWERDESK_RATE_LIMIT_IP_PER_MINUTE": "100000",  # every test client is 127.0.0.1
        }
        homes = {n: root / n for n in ("a", "b", "worker")}
        envs = {n: clean | shared | {"ANSWERDESK_DATA_DIR": str(homes[n] / "data")} for n in homes}
        homes["b"].mkdir()
        homes["worker"].mkdir()
        indexing = Settings(
            data_dir=homes["a"] / "data", sources=[kb], database_url=database,
            chroma_url=chroma_server, shared_index=True, self_calibrate=False,
        )  # fmt: skip
        with Indexer(indexing, embedder) as indexer:
            indexer.sync()
        agent = create_key(envs["b"], homes["b"], "alice", "agent")
        admin = create_key(envs["a"], homes["a"], "root", "admin")
        worker = Worker(envs["worker"], homes["worker"], "worker")
        try:
            yield Engines(envs, homes, worker, agent, admin, kb)
        finally:
            worker.stop()


@dataclass(frozen=True)
class Cluster:
    a: Node
    b: Node
    worker: Worker
    agent: str
    admin: str
    kb: Path


@pytest.fixture
def cluster(engines: Engines) -> Iterator[Cluster]:
    """Nodes A and B, started for each test (one test kills a node), and the worker."""
    node_a = Node(engines.envs["a"], engines.homes["a"], "node-a")  # migrates the database first
    node_b = Node(engines.envs["b"], engines.homes["b"], "node-b")
    try:
        yield Cluster(node_a, node_b, engines.worker, engines.agent, engines.admin, engines.kb)
    finally:
        node_a.stop()
        node_b.stop()


def open_chat(node: Node) -> tuple[str, dict[str, str]]:
    chat = node.call("POST", "/v1/conversations", {})
    return chat["id"], {"Authorization": f"Bearer {chat['token']}"}


def say(node: Node, chat: str, bearer: dict[str, str], text: str) -> Any:
    return node.call("POST", f"/v1/conversations/{chat}/messages", {"text": text}, **bearer)


def test_a_customer_on_one_node_gets_the_reply_of_an_agent_on_the_other(cluster: Cluster) -> None:
    node_a, node_b, agent = cluster.a, cluster.b, cluster.agent
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


def test_a_reindex_asked_of_one_node_runs_in_the_worker_and_is_answered_from_the_other(
    cluster: Cluster,
) -> None:
    question = "How do I send receipts to Quillbox?"
    chat, bearer = open_chat(cluster.b)
    assert "quillbox" not in str(say(cluster.b, chat, bearer, question)["citations"])

    (cluster.kb / "articles" / "quillbox.md").write_text(NEW_ARTICLE)
    admin = {"X-API-Key": cluster.admin}
    job = cluster.a.call("POST", "/v1/admin/reindex", **admin)["job"]
    deadline = time.monotonic() + 120
    while (status := cluster.a.call("GET", f"/v1/admin/reindex/{job}", **admin))["status"] == (
        "running"
    ):
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["status"] == "done" and status["result"]["added"] == 1, status
    committed = time.monotonic()
    assert f"re-indexing job {job} done" in cluster.worker.log.read_text()

    chat, bearer = open_chat(cluster.b)  # node B has never seen this version
    after = say(cluster.b, chat, bearer, question)
    assert time.monotonic() - committed < 5
    assert after["citations"][0]["document_id"] == "article:articles/quillbox", after
    assert "Connect" in after["answer"]


def test_a_conversations_rate_limit_counts_messages_to_both_nodes(cluster: Cluster) -> None:
    node_a, node_b = cluster.a, cluster.b
    chat, bearer = open_chat(node_a)
    for node in (node_a, node_b, node_a):
        say(node, chat, bearer, "how do I reconnect my bank?")
    with pytest.raises(urllib.error.HTTPError) as refused:
        say(node_b, chat, bearer, "and how often does it sync?")
    assert refused.value.code == 429


def test_when_a_node_dies_under_load_the_other_goes_on_and_nothing_is_lost(
    cluster: Cluster,
) -> None:
    node_a, node_b = cluster.a, cluster.b
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
