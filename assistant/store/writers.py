"""Writers of one SQLite file take turns here, in order, before SQLite's own lock.

SQLite has one writer at a time. A writer that finds the file locked waits in SQLite's busy
handler, which sleeps in growing steps (1, 2, 5, 10 … up to 100 ms) however soon the file is
free: under load (8 turn threads in each of two server workers) a few turns waited there for
a second, and p95 followed them. Here the threads of a process queue on a lock, and the
processes on a lock file beside the database (`flock`, which the kernel drops when a process
dies), polled every millisecond: each writer goes about as soon as the one before commits.
The lock file is only an order of turns: a writer that has waited the whole busy timeout for
it goes on to SQLite, which then decides (and fails the write with the usual error).
"""

from __future__ import annotations

import os
import threading
import time
from types import TracebackType

from sqlalchemy import Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: threads still queue
    fcntl = None  # type: ignore[assignment]

POLL_SECONDS = 0.001


class Writers:
    """Reentrant: a write nested in another reaches SQLite, and waits on the file as it
    always did, rather than hang here."""

    def __init__(self, database: str, timeout: float) -> None:
        self.path = f"{database}-writers.lock"
        self.timeout = timeout
        self._threads = threading.RLock()
        self._depth = 0
        self._file: int | None = None  # the lock file, open while this process has the turn

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._depth == 0:
                self._take_file()
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._file is not None:
                os.close(self._file)  # (closing it gives the turn back)
                self._file = None
        finally:
            self._threads.release()

    def _take_file(self) -> None:
        if fcntl is None:
            return
        try:
            self._file = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return  # (no lock file beside the database: SQLite orders the processes alone)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(POLL_SECONDS)


_WRITERS: dict[str, Writers] = {}
_REGISTRY = threading.Lock()


def writers_of(engine: Engine, timeout: float = 15.0) -> Writers | None:
    """The queue of the writers of `engine`'s SQLite file in this process (made with the busy
    `timeout` of the first engine that asks); None for another database, whose writers lock
    rows rather than the whole file."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    database = os.path.abspath(engine.url.database)
    with _REGISTRY:
        if database not in _WRITERS:
            _WRITERS[database] = Writers(database, timeout)
        return _WRITERS[database]
