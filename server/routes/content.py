"""Content routes (admin key): the questions the knowledge base did not answer, grouped by
meaning; a draft article for a group; and publishing an article into the knowledge base, which
starts a re-index so the assistant can cite it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from assistant.backends import language_model
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.gaps import EXAMPLES, GapCluster, cluster, draft_article, one_group
from assistant.store.article_use import ArticleUse
from server.articles import publish
from server.auth import Admin
from server.dashboard import date_range
from server.schemas import errors
from server.state import Desk, RuntimeDep

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=errors(401, 403, 503))
STALE_DAYS = 180
Since = Annotated[date | None, Query(description="First day, YYYY-MM-DD (UTC).")]
Until = Annotated[date | None, Query(description="Last day, included.")]


class GapOut(BaseModel):
    id: str
    conversations: int
    representative: str
    examples: list[str]
    unhelpful: int  # of its questions, marked unhelpful (the rest were handed off)
    resolved: int  # with an agent's resolution to draft from
    conversation_ids: list[str]


class GapsOut(BaseModel):
    since: date
    until: date
    questions: int
    gaps: list[GapOut]


class DraftIn(BaseModel):
    conversation_ids: list[str] = Field(min_length=1, max_length=500)
    since: date | None = None
    until: date | None = None


class DraftOut(BaseModel):
    title: str
    body: str
    sources: int
    written_by: str


class ArticleIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000)
    product_area: str = ""
    overwrite: bool = False


class ArticleUseOut(BaseModel):
    document_id: str
    title: str
    kind: str
    url: str
    updated_at: str  # as the source says; "" when it does not
    citations: int
    conversations: int
    helpful: int
    unhelpful: int
    failed: int
    resolution_rate: float | None
    stale: bool  # not updated for STALE_DAYS and cited by answers that failed


class ArticlesUseOut(BaseModel):
    since: date
    until: date
    stale_after_days: int
    articles: list[ArticleUseOut]


class ArticleOut(BaseModel):
    path: str
    document_id: str
    job: str | None  # the re-index that makes it citable; None when one was already running
    message: str


def _gap(group: GapCluster) -> GapOut:
    return GapOut(
        id=group.id,
        conversations=group.conversations,
        representative=group.representative,
        examples=[q.text for q in group.questions[:EXAMPLES]],
        unhelpful=sum(q.signal == "unhelpful" for q in group.questions),
        resolved=len({q.conversation_id for q in group.questions if q.resolution}),
        conversation_ids=sorted({q.conversation_id for q in group.questions}),
    )


@router.get(
    "/gaps",
    summary="Content gaps: unanswered questions grouped by meaning, largest first",
    description="Questions handed off because the help center does not cover them or the "
    "assistant was unsure, and answers marked unhelpful, in the customers' own words "
    "(redacted), clustered by meaning and ranked by conversations. Default: the last 30 days.",
    responses=errors(400),
)
def gaps(admin: Admin, desk: Desk, since: Since = None, until: Until = None) -> GapsOut:
    start, end = date_range(since, until, datetime.now(UTC).date())
    questions = desk.store.gap_questions(start, end)
    groups = cluster(questions, desk.assistant.embedder)
    last = (end - timedelta(days=1)).date()
    return GapsOut(
        since=start.date(), until=last, questions=len(questions), gaps=[_gap(g) for g in groups]
    )


@router.post(
    "/gaps/draft",
    summary="A draft article for a content gap",
    description="Assembled from the agents' resolutions of those conversations (written by the "
    "language model when one is configured); edit it, then publish it.",
    responses=errors(400, 404),
)
def gap_draft(body: DraftIn, admin: Admin, desk: Desk) -> DraftOut:
    wanted = set(body.conversation_ids)
    start, end = date_range(body.since, body.until, datetime.now(UTC).date())
    questions = [q for q in desk.store.gap_questions(start, end) if q.conversation_id in wanted]
    if not questions:
        raise AnswerdeskError(
            ErrorCode.NOT_FOUND, "None of these conversations is a content gap in that range."
        )
    group = one_group(questions, desk.assistant.embedder)
    draft = draft_article(group, language_model(desk.assistant.chat_model))
    return DraftOut(
        title=draft.title, body=draft.body, sources=draft.sources, written_by=draft.written_by
    )


@router.post(
    "/articles",
    status_code=201,
    summary="Publish an article into the knowledge base and re-index",
    description="Writes a Markdown file with front matter into the first source folder "
    "(409 if it exists, unless `overwrite`), then starts a re-index so answers can cite it.",
    responses=errors(400, 409),
)
def publish_article(body: ArticleIn, admin: Admin, runtime: RuntimeDep) -> ArticleOut:
    published = publish(runtime.settings, body.title, body.body, body.product_area, body.overwrite)
    job: str | None = None
    message = "Published; re-indexing so the assistant can cite it."
    if runtime.reindexer is not None:
        try:
            job = runtime.reindexer.start().id
        except AnswerdeskError as exc:
            if exc.code != ErrorCode.CONFLICT:
                raise
            message = "Published; a re-index is already running: start another when it ends."
    return ArticleOut(
        path=str(published.path), document_id=published.document_id, job=job, message=message
    )


@router.get(
    "/articles/usage",
    summary="How each article and FAQ served customers, stale ones first",
    description="Per document of the index: answers citing it, their conversations, thumbs up "
    "and down, conversations that failed anyway (handed off or marked unhelpful) and the "
    f"resolution rate when cited. Stale: not updated for {STALE_DAYS} days and cited by "
    "answers that failed; listed first, then by failures. Documents never cited are listed "
    "last. Default: the last 30 days.",
    responses=errors(400),
)
def articles_usage(
    admin: Admin, desk: Desk, since: Since = None, until: Until = None
) -> ArticlesUseOut:
    today = datetime.now(UTC).date()
    start, end = date_range(since, until, today)
    used = {u.document_id: u for u in desk.store.article_use(start, end)}
    rows = []
    for document in desk.assistant.index.manifest.documents():
        if document.kind == "case":
            continue
        use = used.get(document.id, ArticleUse(document.id, 0, 0, 0, 0, 0))
        old = _days_since(document.updated_at, today) >= STALE_DAYS
        rows.append(
            ArticleUseOut(
                document_id=document.id, title=document.title, kind=document.kind,
                url=document.url, updated_at=document.updated_at, citations=use.citations,
                conversations=use.conversations, helpful=use.helpful, unhelpful=use.unhelpful,
                failed=use.failed, resolution_rate=use.resolution_rate,
                stale=old and use.failed > 0,
            )
        )  # fmt: skip
    rows.sort(key=lambda r: (not r.stale, -r.failed, -r.citations, r.updated_at, r.document_id))
    last = (end - timedelta(days=1)).date()
    return ArticlesUseOut(
        since=start.date(), until=last, stale_after_days=STALE_DAYS, articles=rows
    )


def _days_since(updated: str, today: date) -> int:
    """Days since an ISO date; a document without one counts as old (nobody knows)."""
    try:
        return (today - date.fromisoformat(updated[:10])).days
    except ValueError:
        return STALE_DAYS
