"""Liveness, readiness (the index and the store answer) and Prometheus metrics.

`/readyz` answers within 2 s whatever is down: both checks run at once, each in its own thread
with a deadline (`server/probes.py`), and a check with no answer in time says "unavailable".
"""

from __future__ import annotations

import asyncio

import numpy as np
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from assistant.desk import HelpDesk
from server.schemas import HealthOut, ReadyOut
from server.state import Runtime, RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    summary="The index and the store answer",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "A check failed"}},
)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    desk = runtime.desk
    if desk is None:
        checks = {"index": "starting", "store": "starting"}
    else:
        index, store = await asyncio.gather(
            runtime.index_probe(lambda: _index(desk)),
            runtime.store_probe(lambda: _store(runtime, desk)),
        )
        checks = {
            name: "ok" if ok else "unavailable" for name, ok in (("index", index), ("store", store))
        }
    ready = all(value == "ok" for value in checks.values())
    body = ReadyOut(status="ready" if ready else "not_ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


# Readiness is anonymous: a check says "unavailable" and the log says why (a database URL,
# host or file path is the operator's business, not every caller's). A check raises when its
# dependency is down.
def _index(desk: HelpDesk) -> None:
    index = desk.assistant.index
    index.refresh()
    probe = np.zeros((1, desk.assistant.embedder.dimension), dtype=np.float32)
    probe[0, 0] = 1.0
    index.vectors.query(probe[0], 1)


def _store(runtime: Runtime, desk: HelpDesk) -> None:
    runtime.ensure_store()
    desk.store.ping()


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(runtime: RuntimeDep) -> Response:
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
