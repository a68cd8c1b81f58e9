"""Liveness, readiness (the index and the store answer) and Prometheus metrics."""

from __future__ import annotations

import logging

import numpy as np
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError
from server.schemas import HealthOut, ReadyOut
from server.state import Runtime, RuntimeDep

router = APIRouter(tags=["health"])
log = logging.getLogger("answerdesk.server")


@router.get("/healthz", summary="The process is up")
def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    summary="The index and the store answer",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "A check failed"}},
)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    desk = runtime.desk
    checks = (
        {"index": _index(desk), "store": _store(runtime, desk)}
        if desk is not None
        else {"index": "starting", "store": "starting"}
    )
    ready = all(value == "ok" for value in checks.values())
    body = ReadyOut(status="ready" if ready else "not_ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


# Readiness is anonymous: a check says "unavailable" and the log says why (a database URL,
# host or file path is the operator's business, not every caller's).
def _index(desk: HelpDesk) -> str:
    try:
        index = desk.assistant.index
        index.refresh()
        probe = np.zeros((1, desk.assistant.embedder.dimension), dtype=np.float32)
        probe[0, 0] = 1.0
        index.vectors.query(probe[0], 1)
    except Exception as error:
        log.warning("readiness: the index is unavailable: %s", error)
        return "unavailable"
    return "ok"


def _store(runtime: Runtime, desk: HelpDesk) -> str:
    try:
        runtime.ensure_store()
        desk.store.ping()
    except AnswerdeskError as error:
        log.warning("readiness: the store is unavailable: %s", error.message)
        return "unavailable"
    return "ok"


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(runtime: RuntimeDep) -> Response:
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
