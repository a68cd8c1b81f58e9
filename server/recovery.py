"""Messages a crash left unanswered are handed to a person: received means never lost.

`server/inbox.py` stores each customer message before its turn starts; a worker killed before
the reply was written leaves a message that nobody answers and no agent sees. The server looks
for those at start-up, and then once per turn deadline (a restart quicker than the deadline
leaves messages too young to call abandoned at the first look). Each customer message that is
the last word of its conversation, older than the turn deadline, with no case alive since it
came (`SqlConversationStore.unanswered`), is handed off with `backend_unavailable` by
`HelpDesk.hand_off_unavailable`, which keeps the message once and opens the case.

Sweeps run beside serving, in a thread, and never delay start-up; a database that is down
fails a sweep and the next one covers its span. On PostgreSQL, workers sweep one at a time
(an advisory lock), so no two hand off the same message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.engine import unavailable
from server.inbox import sql_store

log = logging.getLogger("answerdesk.server")
BATCH = 100
MIN_PERIOD_SECONDS = 10.0
ADVISORY_LOCK = 4242002  # 4242001 is the migration's


async def recover(desk: HelpDesk, deadline: float) -> None:
    """Sweep now, then once per `deadline` seconds (at least MIN_PERIOD), until cancelled."""
    since: datetime | None = None  # the first sweep reads all history
    while True:
        before = desk.now() - timedelta(seconds=deadline)
        try:
            count = await asyncio.to_thread(sweep, desk, before, since)
        except Exception as error:
            log.warning("recovery: could not look for unanswered messages: %s", error)
        else:
            if count:
                log.warning("recovery: handed off %d message(s) left unanswered", count)
            since = before - timedelta(seconds=deadline)  # overlap: a late commit is seen
        await asyncio.sleep(max(deadline, MIN_PERIOD_SECONDS))


def sweep(desk: HelpDesk, before: datetime, since: datetime | None = None) -> int:
    """Hand off the unanswered messages sent before `before` (and at or after `since`).
    Returns how many; raises `AnswerdeskError(STORE_UNAVAILABLE)` when the store is down."""
    store = sql_store(desk)
    with _one_worker_at_a_time(store.engine) as ours:
        if not ours:
            return 0
        count, after_id = 0, 0
        while batch := store.unanswered(before, since=since, after_id=after_id, limit=BATCH):
            for said in batch:
                after_id = said.id
                try:
                    desk.hand_off_unavailable(said.conversation_id, said.text, said.created_at)
                except AnswerdeskError as error:
                    if error.code is ErrorCode.STORE_UNAVAILABLE:
                        raise
                    log.error("recovery: cannot hand off message %s: %s", said.id, error)
                    continue
                log.warning(
                    "recovery: message %s in %s was never answered; handed off",
                    said.id,
                    said.conversation_id,
                )
                count += 1
        return count


@contextmanager
def _one_worker_at_a_time(engine: Engine) -> Iterator[bool]:
    """Whether this worker may sweep now (always, on SQLite: one file, one machine)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = {"key": ADVISORY_LOCK}
    try:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except (DBAPIError, PoolTimeout) as exc:
        raise unavailable(engine, exc) from exc
    with connection:
        try:
            ours = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key))
        except DBAPIError as exc:
            raise unavailable(engine, exc) from exc
        try:
            yield ours
        finally:
            if ours:  # else the lock goes with the connection
                with contextlib.suppress(DBAPIError):
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
