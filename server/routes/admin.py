"""Admin routes: re-index the knowledge base in-process, statistics, exports, erasure, and the
review of resolved cases on their way into the knowledge base (`/kb/...`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, cast

from fastapi import APIRouter, Body, Query
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.protocol import KbStatus
from evals.gated import held, history
from evals.runs import eval_runs, report_of
from server.auth import Admin
from server.dashboard import (
    DashboardOut,
    EvalRunOut,
    EvalRunsOut,
    Table,
    dashboard_out,
    date_range,
    open_hours,
    table_csv,
)
from server.exports import Format, Kind, collect_stats, kb_export, kb_jsonl, records, render
from server.reindex import Job
from server.routes.agent import CaseId
from server.schemas import (
    GateHistoryOut,
    GateOut,
    KbApproveIn,
    KbCaseOut,
    KbCasesOut,
    KbRejectIn,
    ProgressOut,
    ReindexJobOut,
    ReindexStartOut,
    StatsOut,
    errors,
    kb_case,
)
from server.state import Agents, Desk, RuntimeDep

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


@router.get(
    "/reindex/candidate",
    summary="The re-index the gate held back",
    description="Its sync report and the golden set's headline metrics on the live index and "
    "on the candidate; 404 when none is waiting.",
    responses=errors(404),
)
def reindex_candidate(admin: Admin, runtime: RuntimeDep) -> GateOut:
    waiting = held(runtime.settings)
    if waiting is None:
        raise AnswerdeskError(ErrorCode.NOT_FOUND, "No re-index is waiting.")
    return GateOut.model_validate(waiting.to_json())


@router.post(
    "/reindex/candidate/promote",
    status_code=202,
    summary="Make the held re-index live anyway",
    description="Runs the same sync on the live index in the background (a re-indexing job).",
    responses=errors(404, 409),
)
def reindex_promote(admin: Admin, runtime: RuntimeDep) -> ReindexStartOut:
    assert runtime.reindexer is not None
    if held(runtime.settings) is None:
        raise AnswerdeskError(ErrorCode.NOT_FOUND, "No re-index is waiting.")
    job = runtime.reindexer.start("promote")
    return ReindexStartOut(job=job.id, status=job.status)


@router.delete(
    "/reindex/candidate",
    status_code=204,
    summary="Discard the held re-index",
    responses=errors(404, 409),
)
def reindex_discard(admin: Admin, runtime: RuntimeDep) -> Response:
    assert runtime.reindexer is not None
    runtime.reindexer.discard()
    return Response(status_code=204)


@router.get("/reindex/history", summary="Every gated re-index and what became of it")
def reindex_history(admin: Admin, runtime: RuntimeDep) -> GateHistoryOut:
    return GateHistoryOut(
        runs=[GateOut.model_validate(r.to_json()) for r in history(runtime.settings)]
    )


@router.get("/evals", summary="Every `answerdesk eval` run, newest first")
def evals(admin: Admin, runtime: RuntimeDep) -> EvalRunsOut:
    runs = [EvalRunOut.model_validate(asdict(r)) for r in reversed(eval_runs(runtime.settings))]
    return EvalRunsOut(runs=runs)


@router.get(
    "/evals/{run}/report",
    summary="The HTML report of an evaluation run, as a download",
    responses={200: {"content": {"text/html": {}}}, **errors(404)},
)
def eval_report(run: str, admin: Admin, runtime: RuntimeDep) -> FileResponse:
    path = report_of(runtime.settings, run)
    return FileResponse(
        path, media_type="text/html; charset=utf-8", filename=f"answerdesk-eval-{run}.html"
    )


@router.get("/reindex/{job}", summary="Progress of a re-indexing job", responses=errors(404))
def reindex_job(job: str, admin: Admin, runtime: RuntimeDep) -> ReindexJobOut:
    assert runtime.reindexer is not None
    return _job(runtime.reindexer.get(job))


def _board(desk: Desk, since: date | None, until: date | None) -> DashboardOut:
    now = datetime.now(UTC)
    start, end = date_range(since, until, now.date())
    hours = open_hours(desk.queues.hours, start, end, now)  # response times in support hours
    return dashboard_out(desk.store.dashboard(start, end, hours))


@router.get(
    "/dashboard",
    summary="The figures that run the support team, over whole UTC days",
    description="Self-service resolution, hand-off rate by reason, first-contact resolution, "
    "first human response and resolution times (p50/p90), reopen rate, CSAT by queue and by "
    "cited article, case completeness at hand-off, SLA breaches by weekday and hour, backlog "
    "and agent workload, with a daily trend. Each headline carries its definition and the "
    "published reference point. Default range: the last 30 days; at most 366.",
    responses=errors(400),
)
def dashboard(
    admin: Admin,
    desk: Desk,
    since: Annotated[date | None, Query(description="First day, YYYY-MM-DD (UTC).")] = None,
    until: Annotated[date | None, Query(description="Last day, included.")] = None,
) -> DashboardOut:
    return _board(desk, since, until)


@router.get(
    "/dashboard.csv",
    summary="One table of the dashboard as CSV",
    responses={200: {"content": {"text/csv": {}}}, **errors(400)},
)
def dashboard_csv(
    admin: Admin,
    desk: Desk,
    table: Table = "headline",
    since: date | None = None,
    until: date | None = None,
) -> Response:
    out = _board(desk, since, until)
    name = f"answerdesk-{table}-{out.since}-{out.until}.csv"
    return Response(
        table_csv(out, table),
        media_type=MEDIA_TYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


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


# Resolved case → knowledge base, through review (assistant/store/review.py)

KB_STATUSES = ("none", "candidate", "approved", "rejected", "exported")


@router.get(
    "/kb/candidates",
    summary="Resolved cases waiting for review",
    description="Candidates for the knowledge base, oldest resolution first, each with the "
    "problem statement approving it as is would export. `status` lists other review states.",
    responses=errors(400),
)
def kb_candidates(
    admin: Admin,
    agents: Agents,
    status: Annotated[
        str, Query(description="Comma-separated: candidate, approved, rejected, exported, none.")
    ] = "candidate",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> KbCasesOut:
    wanted = [s.strip() for s in status.split(",") if s.strip()]
    if not wanted or any(s not in KB_STATUSES for s in wanted):
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT,
            f"status: use some of {', '.join(KB_STATUSES)} (comma-separated).",
        )
    found = agents.store.kb_cases(cast(list[KbStatus], wanted), limit, offset)
    return KbCasesOut(cases=[kb_case(c) for c in found])


@router.post(
    "/kb/cases/{case_id}/approve",
    summary="Approve a candidate for the knowledge base",
    description="Optionally with the problem statement and resolution reworded; only these "
    "approved texts are exported. 422 when the resolution is too short to act on or asks for "
    "credentials, or no problem statement is left to export.",
    responses=errors(400, 404, 409, 422),
)
def kb_approve(
    case_id: CaseId,
    admin: Admin,
    agents: Agents,
    body: Annotated[KbApproveIn | None, Body()] = None,
) -> KbCaseOut:
    edit = body or KbApproveIn()
    case = agents.approve(case_id, admin.name, edit.resolution, edit.problem)
    return kb_case(case)


@router.post(
    "/kb/cases/{case_id}/reject",
    summary="Keep a case out of the knowledge base",
    responses=errors(400, 404, 409),
)
def kb_reject(case_id: CaseId, body: KbRejectIn, admin: Admin, agents: Agents) -> KbCaseOut:
    return kb_case(agents.reject(case_id, admin.name, body.reason))


@router.get(
    "/kb/export",
    summary="Download the approved cases for the next ingest",
    description="JSON Lines in the resolved-cases format `answerdesk ingest` reads (put the "
    "file in a `cases/` source folder): each approved case's problem statement and resolution, "
    "nothing of the conversation. The cases are then marked exported, unless `dry_run`; `all` "
    "includes those exported before.",
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def kb_export_download(
    admin: Admin,
    desk: Desk,
    include_exported: Annotated[
        bool, Query(alias="all", description="Include cases exported before.")
    ] = False,
    dry_run: Annotated[bool, Query(description="Download only; mark nothing.")] = False,
) -> Response:
    cases = kb_export(desk.store, include_exported=include_exported)
    body = kb_jsonl(cases)
    if not dry_run:
        desk.store.mark_exported(cases)
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": 'attachment; filename="answerdesk-kb-cases.jsonl"',
            "X-Answerdesk-Cases": str(len(cases)),
        },
    )
