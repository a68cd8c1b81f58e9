"""Re-indexing queued in Redis and run by `answerdesk worker` processes (server/jobs.py): any
node reads a job's progress, one job runs at a time, and a job whose worker is killed mid-way
is finished by another worker. Real Redis, PostgreSQL and Chroma server, real worker processes."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.manifest import open_manifest
from assistant.settings import Settings
from server.jobs import QueuedReindexer
from server.reindex import Job
from tests.conftest import SAMPLE_KB, postgres_schema
from tests.server.nodes import REDIS, Worker, redis_reachable

__all__ = ["redis_reachable"]  # fails the module when Redis is missing

QUEUE_DB = 5  # a Redis database of these tests' own, emptied before each


@pytest.fixture
def database() -> Iterator[str]:
    yield from postgres_schema("jobs")


@pytest.fixture
def queue() -> str:
    url = REDIS.rsplit("/", 1)[0] + f"/{QUEUE_DB}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def setup(
    tmp_path: Path, database: str, chroma_server: str, queue: str
) -> tuple[Settings, dict[str, str]]:
    """The settings of a serving node, and the environment of its workers."""
    kb = tmp_path / "kb"
    shutil.copytree(SAMPLE_KB / "articles", kb / "articles")
    node = Settings(
        data_dir=tmp_path / "node" / "data", sources=[kb], database_url=database,
        chroma_url=chroma_server, shared_index=True, redis_url=queue, jobs="queue",
        self_calibrate=False,
    )  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSWERDESK_")}
    env = clean | {
        "ANSWERDESK_DATA_DIR": str(tmp_path / "worker" / "data"),
        "ANSWERDESK_SOURCES": f'["{kb}"]',
        "ANSWERDESK_DATABASE_URL": database,
        "ANSWERDESK_CHROMA_URL": chroma_server,
        "ANSWERDESK_SHARED_INDEX": "true",
        "ANSWERDESK_REDIS_URL": queue,
        "ANSWERDESK_JOBS": "queue",
        "ANSWERDESK_SELF_CALIBRATE": "false",
        "ANSWERDESK_JOB_HEARTBEAT_SECONDS": "2",  # a killed worker is noticed within seconds
    }
    (tmp_path / "worker").mkdir()
    return node, env


def until(reindexer: QueuedReindexer, job: Job, done: bool, seconds: float = 180) -> Job:
    """Poll the job as a node would until it has progress (`done=False`) or has ended."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = reindexer.get(job.id)
        if (status.status != "running") if done else (status.done > 0):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job.id}: {reindexer.get(job.id)}")


def documents(settings: Settings) -> int:
    manifest = open_manifest(settings)
    try:
        return sum(manifest.counts().values())
    finally:
        manifest.close()


def test_a_queued_reindex_runs_in_a_worker_and_every_node_reads_its_progress(
    setup: tuple[Settings, dict[str, str]], tmp_path: Path
) -> None:
    node, env = setup
    worker = Worker(env, tmp_path / "worker", "worker")
    try:
        job = QueuedReindexer(node).start()
        assert job.status == "running"
        other_node = QueuedReindexer(node.model_copy(update={"data_dir": tmp_path / "other"}))
        with pytest.raises(AnswerdeskError) as busy:  # one at a time, whichever node is asked
            other_node.start()
        assert busy.value.code == ErrorCode.CONFLICT
        finished = until(other_node, job, done=True)
    finally:
        worker.stop()
    assert finished.status == "done", finished
    assert finished.done == finished.total > 0
    assert finished.result is not None and finished.result["added"] == documents(node) > 30
    assert not (node.index_dir / "manifest.sqlite3").exists()  # it ran in the worker


def test_a_job_whose_worker_is_killed_mid_way_is_finished_by_another_worker(
    setup: tuple[Settings, dict[str, str]], tmp_path: Path
) -> None:
    node, env = setup
    reindexer = QueuedReindexer(node)
    first = Worker(env, tmp_path / "worker", "worker-1")
    job = reindexer.start()
    until(reindexer, job, done=False)  # embedding has begun
    first.kill()
    assert reindexer.get(job.id).status == "running"  # nothing finished it

    second = Worker(env, tmp_path / "worker", "worker-2")
    try:
        finished = until(reindexer, job, done=True)
    finally:
        second.stop()
    assert finished.status == "done" and finished.result is not None, finished
    assert finished.result["added"] == documents(node) > 30
    assert f"re-indexing job {job.id}" in second.log.read_text()  # the second worker ran it


def test_a_queue_that_cannot_be_reached_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0", jobs="queue")
    with pytest.raises(AnswerdeskError) as raised:
        QueuedReindexer(settings).start()
    assert raised.value.code == ErrorCode.STORE_UNAVAILABLE
    assert "Redis" in raised.value.message


def test_queued_jobs_need_redis() -> None:
    with pytest.raises(ValueError, match="ANSWERDESK_REDIS_URL"):
        Settings(jobs="queue")
