"""Jobs in a queue: re-indexing runs in `answerdesk worker` processes, whichever node asked.

With `ANSWERDESK_JOBS=queue`, the admin API queues a re-index in Redis (Dramatiq) instead of
running it in the serving process. Dramatiq, because its Redis broker acknowledges a message
only when the job has ended: a worker that dies mid-job stops sending heartbeats, and the next
broker maintenance puts its message back in the queue for another worker, so no job is lost;
failures are retried with backoff; and Redis is already what the nodes share (a PostgreSQL
queue would not exist on the single-machine default, SQLite).

A job's status (running, done or failed, its progress and result) is a hash in Redis that any
node reads; one job runs at a time. A job taken over from a dead worker starts again, which is
safe: a sync changes nothing live until its manifest commit, and an incremental one does not
embed again what is already in the collection.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import dramatiq
import redis
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.middleware import CurrentMessage

from assistant.backends import make_embedder
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from ingest.sync import Indexer
from server.reindex import Job, Kind

log = logging.getLogger("answerdesk.jobs")
QUEUE = "answerdesk"
KEYS = "answerdesk:jobs:"  # one hash per job; `running` holds the job in progress
KEPT_SECONDS = 7 * 24 * 3600  # how long a finished job's status stays readable
RETRIES = 2  # a failed re-index is tried twice more (a database or Chroma blip), then failed
TIME_LIMIT_MS = 6 * 3600 * 1000  # Dramatiq's default, 10 minutes, is less than a large re-index
# Share of broker commands that also requeue dead workers' messages: often enough that a job
# moves to a live worker within seconds of the heartbeat timeout.
MAINTENANCE = MAINTENANCE_SCALE // 10
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class JobBoard:
    """Each job's status, in Redis, where every node reads it."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> JobBoard:
        assert settings.redis_url is not None
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, decode_responses=True)
        return cls(client)

    def create(self) -> Job:
        job = Job(uuid.uuid4().hex[:12], "running", datetime.now(UTC))
        try:
            if not self.client.set(KEYS + "running", job.id, nx=True, ex=TIME_LIMIT_MS // 1000):
                name = self.client.get(KEYS + "running")
                raise AnswerdeskError(
                    ErrorCode.CONFLICT,
                    f"Re-indexing job {name} is still running; follow it at "
                    f"/v1/admin/reindex/{name} and start another when it is done.",
                )
            self._write(job)
        except redis.RedisError as exc:
            raise unavailable(exc) from exc
        return job

    def update(self, job_id: str, **changes: Any) -> Job:
        job = replace(self.get(job_id), **changes)
        self._write(job)
        return job

    def finish(self, job_id: str, **changes: Any) -> Job:
        job = self.update(job_id, **changes)
        self.client.eval(_RELEASE, 1, KEYS + "running", job_id)  # only if this job holds it
        return job

    def get(self, job_id: str) -> Job:
        try:
            raw = self.client.get(KEYS + job_id)
        except redis.RedisError as exc:
            raise unavailable(exc) from exc
        if raw is None:
            raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No re-indexing job {job_id}.")
        data = json.loads(cast(str, raw))
        for name in ("started_at", "finished_at"):
            data[name] = datetime.fromisoformat(data[name]) if data[name] else None
        return Job(**data)

    def _write(self, job: Job) -> None:
        data = {
            **job.__dict__,
            "started_at": job.started_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        }
        self.client.set(KEYS + job.id, json.dumps(data), ex=KEPT_SECONDS)


def unavailable(exc: Exception) -> AnswerdeskError:
    return AnswerdeskError(
        ErrorCode.STORE_UNAVAILABLE, f"the job queue (Redis) is unavailable: {exc}"
    )


def make_broker(settings: Settings) -> RedisBroker:
    """The queue `settings` name, with the re-index actor declared on it."""
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.redis_url,
        namespace="answerdesk-jobs",
        heartbeat_timeout=int(settings.job_heartbeat_seconds * 1000),
        maintenance_chance=MAINTENANCE,
    )
    broker.add_middleware(CurrentMessage())
    dramatiq.actor(
        broker=broker, actor_name="reindex", queue_name=QUEUE, max_retries=RETRIES,
        min_backoff=2000, max_backoff=30000, time_limit=TIME_LIMIT_MS,
    )(reindex)  # fmt: skip
    return broker


def reindex(job_id: str) -> None:
    """The actor: the incremental sync of the configured sources, its progress on the board."""
    settings = Settings()
    board = JobBoard.from_settings(settings)
    message = CurrentMessage.get_current_message()
    attempt = (message.options.get("retries", 0) if message else 0) + 1
    board.update(job_id, error=None)
    log.info("re-indexing job %s, attempt %d", job_id, attempt)

    def progress(done: int, total: int) -> None:
        board.update(job_id, done=done, total=total)

    try:
        with Indexer(settings, make_embedder(settings)) as indexer:
            result = indexer.sync(progress=progress).to_json()
    except Exception as exc:
        text = exc.message if isinstance(exc, AnswerdeskError) else repr(exc)
        if attempt <= RETRIES:  # Dramatiq runs it again after a backoff
            board.update(job_id, error=f"attempt {attempt} failed ({text}); retrying")
            raise
        log.exception("re-indexing job %s failed", job_id)
        board.finish(job_id, status="failed", error=text, finished_at=datetime.now(UTC))
        return
    board.finish(job_id, status="done", result=result, finished_at=datetime.now(UTC))
    log.info("re-indexing job %s done: %s", job_id, result)


class QueuedReindexer:
    """The admin API's re-indexer when jobs are queued: the same calls as `Reindexer`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.board = JobBoard.from_settings(settings)
        self._broker = make_broker(settings)

    def start(self, kind: Kind = "sync") -> Job:
        if kind != "sync":
            raise AnswerdeskError(
                ErrorCode.CONFLICT,
                "Queued re-indexing has no gated candidate to make live (the golden-set gate "
                "needs the embedded index and runs in the serving process).",
            )
        job = self.board.create()
        try:
            self._broker.get_actor("reindex").send(job.id)
        except Exception as exc:
            self.board.finish(
                job.id, status="failed", error=str(exc), finished_at=datetime.now(UTC)
            )
            raise unavailable(exc) from exc
        return job

    def get(self, job_id: str) -> Job:
        return self.board.get(job_id)

    def discard(self) -> None:
        raise AnswerdeskError(ErrorCode.NOT_FOUND, "No re-index is waiting.")

    def wait(self, timeout: float) -> None:
        """Wait until no job runs (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self.board.client.exists(KEYS + "running") and time.monotonic() < deadline:
            time.sleep(0.2)


def work(settings: Settings, stop: threading.Event) -> None:
    """Consume the queue until `stop` is set (`answerdesk worker`). One thread: one job runs at
    a time anyway; more jobs at once means more workers."""
    broker = make_broker(settings)
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1)
    worker.start()
    log.info("answerdesk worker consuming %s at %s", QUEUE, settings.redis_url)
    try:
        stop.wait()
    finally:
        worker.stop(timeout=30_000)
