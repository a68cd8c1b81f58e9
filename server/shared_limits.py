"""Rate limits every node shares: one moving window per key in Redis (the `limits` library).

With several workers or nodes, limits counted in each process let a client through N times.
Here every process counts in the same Redis, so "12 messages per conversation per minute"
holds whichever node a message reaches. The limits are tested first and counted only when all
admit the request (a refused request uses no budget); two nodes admitting at the same instant
may each let one request past a full window, which a flood still cannot use.

Redis down: requests are admitted (and the outage logged, once a minute): a rate limit
protects the service, and a customer must not be refused because the protection is down.
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from server.limits import Limit, refusal

log = logging.getLogger("answerdesk.limits")
WARN_EVERY = 60.0  # seconds between two log lines about an unreachable Redis


class SharedRateLimiter:
    def __init__(self, url: str, prefix: str = "answerdesk") -> None:
        # Short timeouts: a rate check must not hold a customer's message while Redis hangs.
        storage = storage_from_string(
            url, key_prefix=prefix, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self._window = MovingWindowRateLimiter(storage)
        self._warned = 0.0

    def admit(self, *limits: Limit) -> None:
        items = [(RateLimitItemPerMinute(n), kind, key) for kind, key, n in limits]
        try:
            full = [(item, kind, key) for item, kind, key in items
                    if not self._window.test(item, kind, key)]  # fmt: skip
            if not full:
                for item, kind, key in items:
                    self._window.hit(item, kind, key)
                return
            waits = [
                (self._window.get_window_stats(item, kind, key).reset_time - time.time(), kind)
                for item, kind, key in full
            ]
        except (RedisError, OSError) as error:
            self._unreachable(error)
            return
        wait, kind = max(waits)
        raise refusal(kind, wait)

    def _unreachable(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            log.warning("rate limits not counted: Redis unreachable (%s)", error)
