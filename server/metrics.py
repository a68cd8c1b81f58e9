"""Prometheus metrics of one app, in a registry of its own (several apps can share a process).

answerdesk_http_requests_total{method, route, status}     route = the path template
answerdesk_http_request_duration_seconds{method, route}   until the last byte is sent
answerdesk_turns_total{action}                            answer, clarify, handoff, ...
answerdesk_handoffs_total{reason}                         low_confidence, backend_unavailable, ...
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"  # one label for every unknown path, so scanners cannot add series


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "answerdesk_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "answerdesk_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.turns = Counter(
            "answerdesk_turns", "Customer messages answered, by action.", ["action"],
            registry=self.registry,
        )  # fmt: skip
        self.handoffs = Counter(
            "answerdesk_handoffs", "Conversations handed to a person, by reason.", ["reason"],
            registry=self.registry,
        )  # fmt: skip

    def turn(self, action: str, handoff_reasons: Iterable[str] = ()) -> None:
        self.turns.labels(action).inc()
        for reason in handoff_reasons:
            self.handoffs.labels(reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request by the route template it matched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            # The router writes the matched route into the (shared) scope.
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
