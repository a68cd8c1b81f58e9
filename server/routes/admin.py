"""Admin routes: re-index the knowledge base in-process, statistics, exports, erasure."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from server.auth import Admin
from server.exports import Format, Kind, collect_stats, records, render
from server.reindex import Job
from server.schemas import ProgressOut, ReindexJobOut, ReindexStartOut, StatsOut, errors
from server.state import Desk, RuntimeDep

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=errors(401, 403, 503))
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def _job(job: Job) -> ReindexJobOut:
    return ReindexJobOut(
        job=job.id,
        status=job.status,
        progress=ProgressOut(done=job.done, total=job.total),
        result=job.result,
        error=job.error,
    )


@router.post(
    "/reindex",
    status_code=202,
    summary="Re-index the knowledge base",
    description="Starts the incremental sync of the configured sources in the background; "
    "only new and changed documents are embedded, and the old index answers until the new "
    "one is committed. One job at a time (409 while one runs).",
    responses=errors(409),
)
def reindex(admin: Admin, runtime: RuntimeDep) -> ReindexStartOut:
    assert runtime.reindexer is not None
    job = runtime.reindexer.start()
    return ReindexStartOut(job=job.id, status=job.status)


@router.get("/reindex/{job}", summary="Progress of a re-indexing job", responses=errors(404))
def reindex_job(job: str, admin: Admin, runtime: RuntimeDep) -> ReindexJobOut:
    assert runtime.reindexer is not None
    return _job(runtime.reindexer.get(job))


@router.get("/stats", summary="Self-service, hand-offs, CSAT and content gaps")
def stats(admin: Admin, desk: Desk) -> StatsOut:
    return StatsOut.model_validate(asdict(collect_stats(desk.store)))


@router.get(
    "/export/{kind}",
    summary="Download conversations, cases or feedback",
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
def export(
    kind: Kind,
    admin: Admin,
    desk: Desk,
    format: Annotated[Format, Query(description="jsonl or csv")] = "jsonl",
) -> StreamingResponse:
    desk.store.ping()  # fail with a clear 503 now rather than cut the download short
    return StreamingResponse(
        render(kind, format, records(desk.store, kind)),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="answerdesk-{kind}.{format}"'},
    )


class ErasedOut(BaseModel):
    """What an erasure deleted."""

    conversations: int
    messages: int
    cases: int
    feedback: int


@router.delete(
    "/customers",
    summary="Erase one customer's data",
    description="Deletes every conversation whose customer context has this account email "
    "(case-insensitive), with its messages, cases (open ones too) and feedback, and says how "
    "many of each went. Erasing an unknown email deletes nothing and is not an error.",
    responses=errors(400),
)
def erase_customer(
    admin: Admin,
    desk: Desk,
    email: Annotated[str, Query(min_length=3, max_length=320, description="Account email")],
) -> ErasedOut:
    return ErasedOut.model_validate(asdict(desk.store.erase_customer(email)))
