"""Agent routes: the hand-off queue and the work on one case. The API key's name is the agent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.protocol import CaseSort, CaseStatus
from server.auth import Agent
from server.live import tail
from server.schemas import (
    MAX_ID,
    MAX_TAGS_PER_CASE,
    CaseOut,
    CaseRowOut,
    CasesOut,
    MeOut,
    MergeIn,
    MessageOut,
    NoteIn,
    ReopenIn,
    ReplyIn,
    ResolveIn,
    SavedRepliesOut,
    TagsIn,
    case_row,
    errors,
    message,
    saved_reply,
)
from server.state import Agents, Desk

router = APIRouter(prefix="/v1/agent", tags=["agent"], responses=errors(401, 403, 503))


def _case_id(case_id: int) -> int:
    """A case id from the path; one no database row can have is simply not there (404)."""
    if not 1 <= case_id <= MAX_ID:
        raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No case {case_id}.")
    return case_id


CaseId = Annotated[int, Depends(_case_id)]
STATUSES = ("open", "claimed", "waiting_on_customer", "resolved")
CASE = errors(404, 409)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/me", summary="Who this API key belongs to")
def me(agent: Agent) -> MeOut:
    return MeOut(name=agent.name, role=agent.role)


@router.get("/cases", summary="The case queue", responses=errors(400))
def cases(
    agent: Agent,
    agents: Agents,
    status: Annotated[
        str, Query(description="Comma-separated: open, claimed, waiting_on_customer, resolved.")
    ] = "open,claimed,waiting_on_customer",
    queue: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[
        str, Query(pattern="^(priority|waiting|sla)$", description="priority, waiting or sla.")
    ] = "priority",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CasesOut:
    wanted = [s.strip() for s in status.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown or not wanted:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, f"status: use some of {', '.join(STATUSES)} (comma-separated)."
        )
    found = agents.cases(
        status=cast(list[CaseStatus], wanted),
        queue=queue or None,
        sort=cast(CaseSort, sort),
        limit=limit,
    )
    now = _now()
    return CasesOut(cases=[case_row(c, now) for c in found])


@router.get(
    "/cases/search",
    summary="Search cases",
    description="Every word in one message of the conversation (full-text), the customer's "
    "email or account id, the case's issue, or its number (`#12`); newest first.",
    responses=errors(400),
)
def search(
    agent: Agent,
    agents: Agents,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasesOut:
    now = _now()
    return CasesOut(cases=[case_row(c, now) for c in agents.search(q, limit)])


@router.get("/cases/{case_id}", summary="One case: summary and transcript", responses=CASE)
def case(case_id: CaseId, agent: Agent, agents: Agents) -> CaseOut:
    view = agents.case(case_id)
    now = _now()
    row = case_row(view.case, now)
    return CaseOut(
        **row.model_dump(),
        summary=view.summary,
        transcript=[message(m) for m in view.transcript],
        earlier_cases=[case_row(c, now) for c in view.earlier],
    )


@router.post("/cases/{case_id}/claim", summary="Take the case", responses=CASE)
def claim(case_id: CaseId, agent: Agent, agents: Agents) -> CaseRowOut:
    return case_row(agents.claim(case_id, agent.name), _now())


@router.post("/cases/{case_id}/release", summary="Put the case back", responses=CASE)
def release(case_id: CaseId, agent: Agent, agents: Agents) -> CaseRowOut:
    return case_row(agents.release(case_id, agent.name), _now())


@router.post(
    "/cases/{case_id}/reply",
    summary="Reply to the customer",
    description="Refused (422 unprocessable) while the text has a `{{placeholder}}` in it.",
    responses=errors(400, 404, 409, 422),
)
def reply(case_id: CaseId, body: ReplyIn, agent: Agent, agents: Agents) -> MessageOut:
    return message(agents.reply(case_id, agent.name, body.text, body.wait_for_customer))


@router.post("/cases/{case_id}/notes", summary="Add an internal note", responses=errors(400, 404))
def note(case_id: CaseId, body: NoteIn, agent: Agent, agents: Agents) -> MessageOut:
    return message(agents.note(case_id, agent.name, body.text))


@router.post(
    "/cases/{case_id}/tags",
    summary="Add and remove tags",
    description=f"At most {MAX_TAGS_PER_CASE} tags per case (413 beyond).",
    responses=errors(400, 404, 409, 413),
)
def tags(case_id: CaseId, body: TagsIn, agent: Agent, agents: Agents) -> CaseRowOut:
    current = set(agents.store.case(case_id).tags)
    after = (current | {t.lower() for t in body.add}) - {t.lower() for t in body.remove}
    if len(after) > max(MAX_TAGS_PER_CASE, len(current)):
        raise AnswerdeskError(
            ErrorCode.TOO_LARGE,
            f"A case keeps at most {MAX_TAGS_PER_CASE} tags; this one would have {len(after)}. "
            "Remove some first.",
        )
    return case_row(agents.tag(case_id, add=body.add, remove=body.remove), _now())


@router.post(
    "/cases/{case_id}/merge",
    summary="Close as a duplicate of another case",
    description="Returns the surviving case.",
    responses=errors(400, 404, 409),
)
def merge(case_id: CaseId, body: MergeIn, agent: Agent, agents: Agents) -> CaseRowOut:
    return case_row(agents.merge(case_id, body.into, agent.name), _now())


@router.post("/cases/{case_id}/resolve", summary="Resolve the case", responses=CASE)
def resolve(case_id: CaseId, body: ResolveIn, agent: Agent, agents: Agents) -> CaseRowOut:
    return case_row(agents.resolve(case_id, agent.name, body.resolution), _now())


@router.post("/cases/{case_id}/reopen", summary="Reopen a resolved case", responses=CASE)
def reopen(
    case_id: CaseId, agent: Agent, agents: Agents, body: Annotated[ReopenIn | None, Body()] = None
) -> CaseRowOut:
    reason = body.reason if body else ""
    return case_row(agents.reopen(case_id, agent.name, reason), _now())


@router.post(
    "/cases/{case_id}/kb/propose",
    summary="Propose a resolved case for the knowledge base",
    description="The case becomes a candidate; an admin approves it (the problem statement "
    "and resolution, reworded if need be) before anything of it is exported for ingest.",
    responses=CASE,
)
def propose(case_id: CaseId, agent: Agent, agents: Agents) -> CaseRowOut:
    return case_row(agents.nominate(case_id, agent.name), _now())


@router.get(
    "/cases/{case_id}/saved-replies",
    summary="Saved replies, filled in from the case",
    description="`unfilled` names the placeholders still in the text.",
    responses=errors(404),
)
def saved_replies(case_id: CaseId, agent: Agent, agents: Agents) -> SavedRepliesOut:
    return SavedRepliesOut(
        replies=[saved_reply(r) for r in agents.saved_replies(case_id, agent.name)]
    )


@router.get(
    "/events",
    summary="Live events for the console (server-sent events)",
    description="Every case, message and feedback event as it happens (`case.created`, "
    "`case.claimed`, `case.updated`, `case.resolved`, `message.created`, `feedback.created`), "
    "each with its outbox id as the SSE `id`. Starts after the latest event, or after "
    "`Last-Event-ID` (or `after`) to resume without a gap.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    agent: Agent,
    desk: Desk,
    request: Request,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
) -> StreamingResponse:
    store = desk.store
    resume = last_event_id.strip() if last_event_id else ""
    if resume.isdigit() and len(resume) < 19:
        start = int(resume)
    elif after is not None:
        start = after
    else:
        start = await run_in_threadpool(store.last_event_id)
    return StreamingResponse(
        tail(store, start, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/cases/{case_id}/typing",
    status_code=204,
    summary="The agent is typing a reply: the customer's chat shows it for a few seconds",
    description="Send it every few seconds while typing (the console does). Only the agent "
    "who claimed the case.",
    responses=CASE,
)
def typing(case_id: CaseId, agent: Agent, agents: Agents) -> Response:
    agents.store.agent_typing(case_id, agent.name)
    return Response(status_code=204)
