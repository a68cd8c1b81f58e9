"""The agents' live feed: the store's events as server-sent events, to every open console.

Each console tails the outbox (`assistant/store/outbox.py`) from where it was: the events table
is shared by every server process, so a case opened through one worker reaches a console held
open by another. A reconnecting console sends `Last-Event-ID` and misses nothing in between.
The first frame, `ready`, carries the id the stream starts after, so even a console that saw no
event yet resumes without a gap. The tail reads the table every `POLL_SECONDS` on the server
(one indexed query), never the browser; a comment line every `HEARTBEAT_SECONDS` keeps proxies
from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.concurrency import run_in_threadpool

from assistant.errors import AnswerdeskError
from assistant.store.events import Event
from assistant.store.webhooks import WebhookOutbox

POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 15.0
BATCH = 100


def frame(event: Event) -> str:
    data = json.dumps(event.payload(), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"


async def tail(
    store: WebhookOutbox,
    after: int,
    disconnected: Callable[[], Awaitable[bool]],
    poll_seconds: float = POLL_SECONDS,
) -> AsyncIterator[str]:
    """Every event after `after`, as it is written, until the client goes away."""
    cursor = after
    quiet_since = time.monotonic()
    yield "retry: 2000\n\n"  # how soon a browser's EventSource reconnects
    # Where this stream starts, as an id: a console dropped before any event resumes from it.
    yield f'id: {after}\nevent: ready\ndata: {{"after":{after}}}\n\n'
    while True:
        if await disconnected():
            return
        try:
            events = await run_in_threadpool(store.events_after, cursor, BATCH)
        except AnswerdeskError:  # the database is down: keep the stream, try again
            events = []
        for event in events:
            cursor = event.id
            yield frame(event)
        if events:
            quiet_since = time.monotonic()
            if len(events) == BATCH:
                continue
        elif time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
            quiet_since = time.monotonic()
            yield ": still here\n\n"
        await asyncio.sleep(poll_seconds)
