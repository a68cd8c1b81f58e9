"""Limits on what a client may send, checked before anything is parsed or stored.

    header size     > MAX_HEADER_BYTES in all: refused by the HTTP parser of `answerdesk
                    serve` (h11) before the headers are kept, and 431 too_large in the app for
                    servers started another way (httptools has no limit of its own)
    body size       > max_body_bytes: 413 too_large, answered before the body is read (a
                    declared Content-Length) or as soon as the streamed body passes the limit
    message length  > max_message_chars: 413 too_large (a size limit the widget can explain:
                    "shorten your message"), checked before the message is stored
    rate            customer messages per conversation per minute, and customer writes per
                    client IP per minute: 429 rate_limited with Retry-After

Rates are counted in memory, per worker process, unless `ANSWERDESK_REDIS_URL` is set: then
every worker and every node counts in the same Redis (`SharedRateLimiter`, the `limits`
library's moving window), so a client gets the limit once however many processes serve it.
Without Redis, with N workers a client may get up to N times the limit through, which still
stops a flood. A refused request is not counted.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.errors import AnswerdeskError, ErrorCode
from server.errors import RateLimited, error_response

# Browsers send 1-4 KiB; nginx accepts 4 x 8 KiB lines by default. Generous for cookies on a
# customer's domain, and far from the 16 MB a client once sent to get a 200.
MAX_HEADER_BYTES = 32 * 1024


class HeaderLimitMiddleware:
    """Refuse requests whose headers together pass `max_bytes` with 431, in the one error shape."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            size = sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))
            if size > self.max_bytes:
                message = f"The request headers are larger than {self.max_bytes:,} bytes."
                await error_response(431, "too_large", message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def too_large_message(limit: int) -> str:
    return f"The request body is larger than {limit:,} bytes; send less."


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413, never reading more than the limit;
    `paths` may allow some routes more (an inbound email with its quoted history)."""

    def __init__(self, app: ASGIApp, max_bytes: int, paths: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope.get("path", ""), self.max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            response = error_response(413, "too_large", too_large_message(limit))
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes through FastAPI's body reading unchanged, so the
                    # error handlers answer it in the one error shape.
                    raise HTTPException(413, too_large_message(limit))
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def check_message_length(text: str, limit: int) -> None:
    if len(text) > limit:
        raise AnswerdeskError(
            ErrorCode.TOO_LARGE,
            f"The message is {len(text):,} characters; the limit is {limit:,}. "
            "Please shorten it or split it in two.",
        )


_TOO_MANY = {
    "conversation": "Too many messages in this conversation",
    "ip": "Too many requests from your network",
}


# (kind, key, per minute): e.g. ("conversation", "c-123", 12)
Limit = tuple[str, str, int]


class Limiter(Protocol):
    def admit(self, *limits: Limit) -> None:
        """Count one request against each limit, or refuse it (counting nothing) with
        `RateLimited` when any of them is reached."""
        ...


def refusal(kind: str, wait: float) -> RateLimited:
    seconds = max(1, math.ceil(wait))
    what = _TOO_MANY.get(kind, f"Too many requests for this {kind}")
    return RateLimited(f"{what}; please wait {seconds} s and try again.", seconds)


class RateLimiter:
    """Sliding one-minute windows per key, for several limits checked together, in memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, window: float = 60.0) -> None:
        self._clock = clock
        self.window = window
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._checks = 0

    def admit(self, *limits: Limit) -> None:
        now = self._clock()
        with self._lock:
            self._forget_idle(now)
            waits = []
            for kind, key, per_minute in limits:
                hits = self._recent((kind, key), now)
                if len(hits) >= per_minute:
                    waits.append((hits[len(hits) - per_minute] + self.window - now, kind))
            if waits:
                wait, kind = max(waits)
                raise refusal(kind, wait)
            for kind, key, _ in limits:
                self._hits.setdefault((kind, key), deque()).append(now)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        hits = self._hits.get(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def _forget_idle(self, now: float) -> None:
        """Drop keys with no recent hit now and then, so memory stays bounded."""
        self._checks += 1
        if self._checks % 1000:
            return
        idle = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]
        for key in idle:
            del self._hits[key]


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, uvicorn's --forwarded-allow-ips sets it from
    X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


def make_limiter(redis_url: str | None) -> Limiter:
    """Counted in Redis when there is one (every node shares the limits), else in memory."""
    if redis_url:
        from server.shared_limits import SharedRateLimiter

        return SharedRateLimiter(redis_url)
    return RateLimiter()
