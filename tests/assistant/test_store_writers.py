"""Writers of one SQLite file take turns: the threads of a process, and the processes."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path

from assistant.store.writers import Writers


def _hold(database: str, seconds: float, started: str) -> None:
    """In a process of its own: take the writers' turn, say so, and keep it `seconds`."""
    with Writers(database, timeout=5.0):
        Path(started).write_text("holding")
        time.sleep(seconds)


@contextmanager
def another_process_holding(database: str, seconds: float, folder: Path) -> Iterator[BaseProcess]:
    """Another process that has the turn (it holds it `seconds`, then ends)."""
    started = folder / "started"
    other = multiprocessing.get_context("spawn").Process(
        target=_hold, args=(database, seconds, str(started))
    )
    other.start()
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started.exists()
        yield other
    finally:
        other.join(timeout=10)


def test_a_process_waits_for_another_processs_turn_then_takes_it(tmp_path: Path) -> None:
    database = str(tmp_path / "answerdesk.sqlite3")
    with another_process_holding(database, 0.5, tmp_path) as other:
        waited = time.monotonic()
        with Writers(database, timeout=5.0):
            waited = time.monotonic() - waited
            other.join(timeout=5)
            assert other.exitcode == 0  # it had finished its turn before this one began
        assert waited > 0.2


def test_a_turn_that_never_comes_is_left_to_sqlite_after_the_timeout(tmp_path: Path) -> None:
    database = str(tmp_path / "answerdesk.sqlite3")
    with another_process_holding(database, 3.0, tmp_path) as other:
        began = time.monotonic()
        with Writers(database, timeout=0.2):
            assert time.monotonic() - began < 2.0  # gave up waiting: SQLite decides now
            assert other.is_alive()


def test_a_write_nested_in_another_of_the_same_thread_does_not_wait_for_itself(
    tmp_path: Path,
) -> None:
    writers = Writers(str(tmp_path / "answerdesk.sqlite3"), timeout=0.2)
    with writers, writers:
        pass
    with writers:  # …and the turn was given back whole
        pass
