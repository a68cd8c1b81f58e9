"""Re-indexing from the admin API: the incremental sync, in a thread of the serving process.

With the team's golden set configured (`ANSWERDESK_GOLDEN_SET`) a job is gated: the candidate
is built beside the live index and goes live only if the golden set does not get worse
(evals/gated.py); a held candidate is made live anyway or discarded by a later job.

It must run in this process: the embedded Chroma index is opened per process, and the live
index reads the new manifest state only when told to (`on_done` refreshes it). Where nodes share
the index (PostgreSQL and a Chroma server), every other node serves the commit from its next
turn, which checks the version live. The sync
writes the new state first and commits the manifest last, so questions answered meanwhile
use the old index. One job at a time; the last few jobs are kept for their status.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.ports import Embedder
from assistant.settings import Settings
from evals.gated import discard, gated_ingest, promote
from ingest.sync import Indexer

Kind = Literal["sync", "promote"]

log = logging.getLogger("answerdesk.server")
KEPT_JOBS = 20


@dataclass(frozen=True)
class Job:
    id: str
    status: Literal["running", "done", "failed"]
    started_at: datetime
    done: int = 0
    total: int = 0
    result: dict[str, Any] | None = None
    error: str | None = None
    finished_at: datetime | None = None


class Reindexing(Protocol):
    """What the admin API asks of re-indexing: in this process (`Reindexer`) or queued for
    `answerdesk worker` processes (`server.jobs.QueuedReindexer`)."""

    def start(self, kind: Kind = "sync") -> Job: ...

    def get(self, job_id: str) -> Job: ...

    def discard(self) -> None: ...

    def wait(self, timeout: float) -> None: ...


class Reindexer:
    def __init__(
        self, settings: Settings, embedder: Callable[[], Embedder], on_done: Callable[[], None]
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._on_done = on_done
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._running: str | None = None
        self._thread: threading.Thread | None = None

    def start(self, kind: Kind = "sync") -> Job:
        with self._lock:
            if self._running is not None:
                raise AnswerdeskError(
                    ErrorCode.CONFLICT,
                    f"Re-indexing job {self._running} is still running; follow it at "
                    f"/v1/admin/reindex/{self._running} and start another when it is done.",
                )
            job = Job(uuid.uuid4().hex[:12], "running", datetime.now(UTC))
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)
            self._running = job.id
            # A daemon thread: an interrupted sync is safe (the next one finishes the job).
            self._thread = threading.Thread(
                target=self._run, args=(job.id, kind), name=f"reindex-{job.id}", daemon=True
            )
            self._thread.start()
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No re-indexing job {job_id}.")
        return job

    def wait(self, timeout: float) -> None:
        """Wait for the running job (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def discard(self) -> None:
        """Drop the held candidate (not while a job runs: it may be building one)."""
        with self._lock:
            if self._running is not None:
                raise AnswerdeskError(
                    ErrorCode.CONFLICT, f"Re-indexing job {self._running} is still running."
                )
            if discard(self.settings) is None:
                raise AnswerdeskError(ErrorCode.NOT_FOUND, "No re-index is waiting.")

    def _run(self, job_id: str, kind: Kind) -> None:
        def progress(done: int, total: int) -> None:
            self._update(job_id, done=done, total=total)

        try:
            golden = self.settings.golden_set
            if kind == "promote":
                result = promote(self.settings, None, progress, self._embedder()).to_json()
            elif golden is not None:  # the team's golden set gates every re-index
                result = gated_ingest(
                    self.settings, golden, progress=progress, embedder=self._embedder()
                ).to_json()
            else:
                with Indexer(self.settings, self._embedder()) as indexer:
                    result = indexer.sync(progress=progress).to_json()
            self._on_done()
            self._update(job_id, status="done", result=result, finished_at=datetime.now(UTC))
            log.info("re-indexing job %s done: %s", job_id, result)
        except Exception as exc:
            message = exc.message if isinstance(exc, AnswerdeskError) else repr(exc)
            log.exception("re-indexing job %s failed", job_id)
            self._update(job_id, status="failed", error=message, finished_at=datetime.now(UTC))
        finally:
            with self._lock:
                self._running = None
