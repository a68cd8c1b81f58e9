"""Prometheus metrics of one app, in a registry of its own (several apps can share a process).

answerdesk_http_requests_total{method, route, status}     route = the path template
answerdesk_http_request_duration_seconds{method, route}   until the last byte is sent
answerdesk_turns_total{action}                            answer, clarify, handoff, ...
answerdesk_handoffs_total{reason}                         low_confidence, backend_unavailable, ...

With several worker processes (`answerdesk serve --workers N`) each worker counts in files of
prometheus-client's multiprocess mode (the folder in PROMETHEUS_MULTIPROC_DIR, which `serve`
sets up), and `/metrics`, whichever worker answers it, sums every worker's. Several nodes are
scraped one by one, as Prometheus does, and summed in queries.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"  # one label for every unknown path, so scanners cannot add series
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client reads it when it is imported


def shared_folder(folder: Path) -> None:
    """Make `folder` the workers' shared metrics folder, emptied of an earlier run's counts.
    Call before the workers start (they import prometheus-client with it set)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS] = str(folder)


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
        if os.environ.get(MULTIPROCESS):  # every worker's counts, not only this one's
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
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
