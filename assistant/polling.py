"""A background loop for work waiting in the store (webhook deliveries, emails): it runs a
step again at once while the step finds work, else every `poll_seconds`, and stops promptly.
A database that is down pauses it (logged), never ends it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from assistant.errors import AnswerdeskError

log = logging.getLogger("answerdesk.polling")


class Poller:
    def __init__(self, name: str, step: Callable[[], int], poll_seconds: float) -> None:
        self.name = name
        self.step = step  # does one batch; returns how much it did
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step() > 0
            except AnswerdeskError as error:  # e.g. the database is down: try again later
                log.error("%s paused: %s", self.name, error.message)
                busy = False
            if not busy:
                self._stop.wait(self.poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
