"""Checks of a dependency that answer in time whatever the dependency does.

A check that talks to a database or a Chroma server can hang for as long as the dependency
lets it (a socket that accepts and never answers). `Probe` runs the check in its own thread
and waits at most `deadline` seconds for it: no answer in time is an answer ("unavailable").
At most one check per probe runs at once: a caller arriving while one is still running waits
for that one instead of starting another, so a hung dependency costs one thread, not one per
request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("answerdesk.server")


class Probe:
    def __init__(self, name: str, deadline: float) -> None:
        self.name = name
        self.deadline = deadline
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"answerdesk-probe-{name}")
        self._lock = threading.Lock()  # guards `_running` only; never held while checking
        self._running: Future[None] | None = None

    async def __call__(self, check: Callable[[], None]) -> bool:
        """Whether `check` returned (rather than raised) within the deadline."""
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._pool.submit(check)
            running = self._running
        waited = asyncio.wrap_future(running)
        waited.add_done_callback(_seen)  # a late failure was already reported as "unavailable"
        try:
            # shield: a caller giving up must not cancel the check other callers wait for
            await asyncio.wait_for(asyncio.shield(waited), self.deadline)
        except TimeoutError:
            log.warning("readiness: %s gave no answer within %.1f s", self.name, self.deadline)
            return False
        except Exception as error:
            log.warning("readiness: %s is unavailable: %s", self.name, error)
            return False
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _seen(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
