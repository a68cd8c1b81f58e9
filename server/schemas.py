"""The API's request and response bodies (the HTTP contract), and the conversions from the
domain values of `assistant` into them. Field names are the contract's; keep them stable."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from assistant.handoff.case import HandoffInfo
from assistant.handoff.replies import SavedReply
from assistant.store.incidents import IncidentStatus
from assistant.store.protocol import Case, KbStatus, StoredMessage, priority_label
from assistant.store.review import MAX_PROBLEM_CHARS, problem_statement
from assistant.turn import TurnResult
from assistant.types import Citation
from server.markdown import render as render_markdown

Action = Literal["answer", "clarify", "handoff", "waiting", "agent"]
# Row ids are 64-bit signed in SQLite and PostgreSQL: a larger number reaching the database is
# an overflow there (a 500), so the contract bounds every id it takes.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Tags are short labels an agent types; a case keeps a bounded few.
MAX_TAG_CHARS = 50
MAX_TAGS_PER_REQUEST = 20
MAX_TAGS_PER_CASE = 30
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG_CHARS)
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


# Errors


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["No case 7."])


class ErrorOut(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the error statuses a route can answer with."""
    return {status: {"model": ErrorOut} for status in statuses}


# Customer


class CustomerIn(BaseModel):
    """Who is chatting; keys beyond these are ignored (pages may pass more context)."""

    id: str = Field("", max_length=200)
    email: str = Field("", max_length=320)
    plan: str = Field("", max_length=100)
    product_area: str = Field("", max_length=100)
    locale: str = Field("en", max_length=35)
    page_url: str = Field("", max_length=2000)
    role: str = Field("", max_length=50)


class NewConversationIn(BaseModel):
    customer: CustomerIn = Field(default_factory=CustomerIn)
    signature: str = Field(
        "",
        max_length=128,
        description="HMAC-SHA256 (hex) of the customer's id, email, plan and role, computed by "
        "the embedding site with the identity secret. Without it the context is unverified: "
        "it never raises priority or unlocks plan-restricted articles. A wrong one is a 401.",
    )


class FollowUpIn(Body):
    email: str = Field(min_length=3, max_length=320)


class ResumeIn(Body):
    link: str = Field(min_length=10, max_length=500)


class NewConversationOut(BaseModel):
    id: str
    token: str = Field(description="Secret: send it as `Authorization: Bearer <token>`.")


class MessageIn(Body):
    text: str = Field(min_length=1, description="The customer's message.")

    _text = field_validator("text")(_not_blank)


class CitationOut(BaseModel):
    n: int
    document_id: str
    title: str
    url: str
    section: str
    kind: str
    snippet: str


class DecisionOut(BaseModel):
    action: Action
    reasons: list[str]
    explanation: str


class ExpectedWaitOut(BaseModel):
    minutes: int | None
    text: str
    within_hours: bool
    back_at: str | None


class HandoffOut(BaseModel):
    case_id: int
    queue: str
    status: str
    expected_wait: ExpectedWaitOut
    agent_typing: bool = Field(False, description="An agent is typing a reply right now.")


class IncidentRefOut(BaseModel):
    id: int
    title: str
    status: IncidentStatus


class TurnReply(BaseModel):
    message_id: int | None = Field(description="The assistant's stored message; null if silent.")
    action: Action
    answer: str | None = Field(description="Markdown, with [n] markers for the citations.")
    html: str | None = Field(
        description="The answer rendered as safe HTML (no raw HTML, scripts or images; links "
        "only http(s) and mailto): what a client inserts."
    )
    citations: list[CitationOut]
    related: list[CitationOut] = Field(description="Closest articles when the assistant is unsure.")
    confidence: float | None
    decision: DecisionOut
    handoff: HandoffOut | None
    incident: IncidentRefOut | None = Field(
        None, description="The known incident the message is about; its status opens `answer`."
    )


class MessageOut(BaseModel):
    id: int
    speaker: Literal["customer", "assistant", "agent", "note"]
    text: str = Field(description="Markdown, as written.")
    html: str = Field(description="`text` rendered as safe HTML: what a client inserts.")
    author: str
    created_at: datetime
    citations: list[CitationOut]
    confidence: float | None
    kind: str
    incident: int | None = Field(None, description="The known incident it told of first.")


class ConversationOut(BaseModel):
    id: str
    status: Literal["active", "handed_off", "resolved"]
    customer: dict[str, str | bool]  # "verified": signed by the embedding site
    messages: list[MessageOut]
    handoff: HandoffOut | None


class FeedbackIn(Body):
    helpful: bool | None = None
    csat: int | None = Field(None, ge=1, le=5)
    comment: str = Field("", max_length=4000)
    message_id: Id | None = None


class OkOut(BaseModel):
    ok: bool = True


# Agent


class MeOut(BaseModel):
    name: str
    role: Literal["agent", "admin"]


class CaseRowOut(BaseModel):
    id: int
    conversation_id: str
    status: Literal["open", "claimed", "waiting_on_customer", "resolved"]
    priority: float
    priority_label: str
    priority_reasons: list[str]
    category: str
    queue: str
    tags: list[str]
    created_at: datetime
    waiting_seconds: int
    sla_due_at: datetime | None
    claimed_by: str | None
    claimed_at: datetime | None
    resolution: str | None
    merged_into: int | None
    resolved_at: datetime | None
    title: str
    customer: dict[str, Any]
    kb_status: KbStatus = Field(
        "none", description="On its way into the knowledge base: none, candidate, approved, "
        "rejected or exported.",
    )  # fmt: skip


class CasesOut(BaseModel):
    cases: list[CaseRowOut]


class CaseOut(CaseRowOut):
    summary: dict[str, Any]
    transcript: list[MessageOut] = Field(description="Notes included (speaker `note`).")
    earlier_cases: list[CaseRowOut] = Field(
        default_factory=list,
        description="The customer's other cases, newest first (a verified customer only).",
    )


class ReplyIn(Body):
    text: str = Field(min_length=1)
    wait_for_customer: bool = True

    _text = field_validator("text")(_not_blank)


class NoteIn(Body):
    text: str = Field(min_length=1)

    _text = field_validator("text")(_not_blank)


class TagsIn(Body):
    add: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS_PER_REQUEST)
    remove: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS_PER_REQUEST)


class MergeIn(Body):
    into: Id


class ResolveIn(Body):
    resolution: str = Field(min_length=1)

    _resolution = field_validator("resolution")(_not_blank)


class ReopenIn(Body):
    reason: str = ""


# The knowledge-base review of resolved cases (admin routes)


class KbReviewOut(BaseModel):
    status: KbStatus
    reviewed_by: str | None = Field(description="Who proposed, approved or rejected it last.")
    reviewed_at: datetime | None
    problem: str | None = Field(description="The approved problem statement (the subject).")
    resolution: str | None = Field(description="The approved resolution: all that is exported.")
    reason: str | None = Field(description="Why it was rejected.")


class KbCaseOut(BaseModel):
    id: int
    category: str
    tags: list[str]
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None = Field(description="The resolution as the agent wrote it.")
    proposed_problem: str = Field(
        description="The problem statement approving without one would export: the summary's "
        "issue, redacted, without links, answers or instructions the customer typed (empty: "
        "write one)."
    )
    kb: KbReviewOut


class KbCasesOut(BaseModel):
    cases: list[KbCaseOut]


class KbApproveIn(Body):
    resolution: str | None = Field(
        None, min_length=1, max_length=20_000,
        description="The resolution as it should be exported (an edit of the agent's wording); "
        "the case's resolution when left out.",
    )  # fmt: skip
    problem: str | None = Field(
        None, min_length=1, max_length=MAX_PROBLEM_CHARS,
        description="The problem statement as it should be exported; `proposed_problem` when "
        "left out.",
    )  # fmt: skip


class KbRejectIn(Body):
    reason: str = Field(min_length=1, max_length=2000)

    _reason = field_validator("reason")(_not_blank)


class SavedReplyOut(BaseModel):
    id: str
    title: str
    text: str
    unfilled: list[str]


class SavedRepliesOut(BaseModel):
    replies: list[SavedReplyOut]


# Admin


class ReindexStartOut(BaseModel):
    job: str
    status: Literal["running", "done", "failed"]


class GateOut(BaseModel):
    """A gated re-index: what changed, and the golden set on the live index and the candidate."""

    decision: Literal["live", "held", "unchanged", "promoted", "discarded"]
    sync: dict[str, Any]
    comparison: list[dict[str, Any]]  # {metric, baseline (live), now (candidate), change, ...}
    regressions: list[dict[str, Any]]
    golden: str
    at: str


class GateHistoryOut(BaseModel):
    runs: list[GateOut]  # oldest first


class ProgressOut(BaseModel):
    done: int
    total: int


class ReindexJobOut(ReindexStartOut):
    progress: ProgressOut
    result: dict[str, Any] | None
    error: str | None


class CsatOut(BaseModel):
    average: float | None
    count: int


class ContentGapOut(BaseModel):
    title: str
    document_id: str
    count: int


class StatsOut(BaseModel):
    conversations: int
    self_service_rate: float | None
    handoff_rate: float | None
    handoff_by_reason: dict[str, int]
    csat: CsatOut
    median_seconds_to_handoff: float | None
    median_seconds_to_first_agent_reply: float | None
    content_gaps: list[ContentGapOut]


# Health


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]


# Conversions from the domain


def citation(c: Citation) -> CitationOut:
    return CitationOut(**asdict(c))


def handoff(info: HandoffInfo | None, typing: bool = False) -> HandoffOut | None:
    if info is None:
        return None
    return HandoffOut(
        case_id=info.case_id,
        queue=info.queue,
        status=info.status,
        expected_wait=ExpectedWaitOut(**asdict(info.expected_wait)),
        agent_typing=typing and info.status == "claimed",
    )


def turn_reply(result: TurnResult) -> TurnReply:
    silent = result.action == "agent"
    return TurnReply(
        message_id=result.message.id if result.message else None,
        action=result.action,
        answer=None if silent else result.text,
        html=None if silent else render_markdown(result.text),
        citations=[citation(c) for c in result.citations],
        related=[citation(c) for c in result.related],
        confidence=result.confidence,
        decision=DecisionOut(
            action=result.action, reasons=result.reasons, explanation=result.explanation
        ),
        handoff=handoff(result.handoff),
        incident=IncidentRefOut.model_validate(result.incident, from_attributes=True)
        if result.incident
        else None,
    )


def message(m: StoredMessage) -> MessageOut:
    return MessageOut(
        id=m.id,
        speaker=m.speaker,
        text=m.text,
        html=render_markdown(m.text),
        author=m.author,
        created_at=m.created_at,
        citations=[citation(c) for c in m.citations],
        confidence=m.confidence,
        kind=m.kind,
        incident=m.meta.get("incident") if isinstance(m.meta.get("incident"), int) else None,
    )


def case_row(case: Case, now: datetime) -> CaseRowOut:
    summary = case.summary
    issue = summary.get("issue")
    return CaseRowOut(
        id=case.id,
        conversation_id=case.conversation_id,
        status=case.status,
        priority=case.priority,
        priority_label=priority_label(case.priority),
        priority_reasons=list(case.priority_reasons),
        category=case.category,
        queue=case.queue,
        tags=list(case.tags),
        created_at=case.created_at,
        waiting_seconds=int(case.waiting(now).total_seconds()),
        sla_due_at=case.sla_due_at,
        claimed_by=case.claimed_by,
        claimed_at=case.claimed_at,
        resolution=case.resolution,
        merged_into=case.merged_into,
        resolved_at=case.resolved_at,
        title=issue if isinstance(issue, str) and issue else f"Case {case.id}",
        customer=summary.get("customer") if isinstance(summary.get("customer"), dict) else {},
        kb_status=case.kb.status,
    )


def kb_case(case: Case) -> KbCaseOut:
    return KbCaseOut(
        id=case.id,
        category=case.category,
        tags=list(case.tags),
        resolved_at=case.resolved_at,
        resolved_by=case.claimed_by,
        resolution=case.resolution,
        proposed_problem=problem_statement(case.summary),
        kb=KbReviewOut.model_validate(asdict(case.kb)),
    )


def saved_reply(reply: SavedReply) -> SavedReplyOut:
    return SavedReplyOut(**asdict(reply))
