"""The `CaseStore` seam: conversations, the hand-off case queue, and the way back to ingestion.

Small capabilities, composed:

    ConversationStore  a customer's chat: create (id + a secret token), messages, feedback
    CaseQueue          hand-off cases: open one from a conversation, list by urgency, claim, release
    CaseWork           what an agent does with a claimed case: reply, note, tag, merge, resolve
    KnowledgeReview    a resolved case on its way into the knowledge base: nominate, approve, export
    IncidentBoard      known problems and their timed updates, for the status page (incidents.py)
    WebhookOutbox      the events every change writes, webhook subscriptions and their
                       delivery log (events.py, webhooks.py)
    MailQueue          emails owed to customers about those events, and whether they looked
                       (mail.py)

Case life cycle (every other move is refused with `AnswerdeskError(CONFLICT)`):

    open ──claim──► claimed ──reply(wait_for_customer)──► waiting_on_customer
     ▲  ◄─release──    │  ◄──────── the customer writes ─────────┘
     │                 └──resolve──► resolved ──reopen──► open
     └── merge: a duplicate is resolved with `merged_into` set; it cannot be reopened or claimed

An agent replies to or resolves only a case they have claimed: no two agents on one case.

What agents solved becomes knowledge only through review (`KnowledgeReview`):

    none ──nominate──► candidate ──approve──► approved ──export──► exported
                         ▲    │                   ▲                    │
                  nominate    reject              └──approve (edited)──┘
                         │    ▼
                        rejected ◄──reject── approved or exported
    reopen: back to none, whatever the state (the resolution is gone)

A case the knowledge base could not answer is nominated when it is resolved
(`assistant.agents`); an agent may nominate any other resolved case. The reviewer approves a
problem statement and the resolution (both editable); the export carries only those two
texts, in the case format `answerdesk ingest` reads, never the customer's messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from assistant.store.article_use import ArticleUse
from assistant.store.dashboard import Dashboard
from assistant.store.gaps import GapQuestion
from assistant.store.incidents import Incident
from assistant.store.mail import MailQueue
from assistant.store.webhooks import WebhookOutbox
from assistant.types import Citation

Speaker = Literal["customer", "assistant", "agent", "note"]
CaseStatus = Literal["open", "claimed", "waiting_on_customer", "resolved"]
ConversationStatus = Literal["active", "handed_off", "resolved"]
CaseSort = Literal["priority", "waiting", "sla"]
KbStatus = Literal["none", "candidate", "approved", "rejected", "exported"]
ACTIVE_STATUSES: tuple[CaseStatus, ...] = ("open", "claimed", "waiting_on_customer")


@dataclass(frozen=True)
class Customer:
    """Who is chatting and from where, as the widget or API tells us."""

    id: str = ""
    email: str = ""
    plan: str = ""
    product_area: str = ""
    locale: str = "en"
    page_url: str = ""
    role: str = ""  # the person's role in their workspace, e.g. "admin"
    # The embedding site signed id, email, plan and role (assistant.identity); otherwise they
    # are only what the browser says.
    verified: bool = False


@dataclass(frozen=True)
class NewConversation:
    """The token is shown once, to the customer; the store keeps only its hash."""

    id: str
    token: str


@dataclass(frozen=True)
class Conversation:
    id: str
    customer: Customer
    status: ConversationStatus
    created_at: datetime
    agent_typing_at: datetime | None = None  # an agent's last keystroke in a reply to it


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: str
    speaker: Speaker
    text: str
    created_at: datetime
    author: str = ""  # the agent's name for agent messages and notes
    citations: tuple[Citation, ...] = ()
    confidence: float | None = None
    kind: str = ""  # answer, clarify, intake, handoff, waiting, reply, note, …
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. the decision's reasons


@dataclass(frozen=True)
class NewCase:
    """What the hand-off gives the queue."""

    summary: dict[str, Any]  # who, what, what was tried, likely cause, suggested reply
    priority: float  # in [0, 1]; higher is more urgent
    category: str
    queue: str = "general"
    reasons: tuple[str, ...] = ()  # why this priority, for the agent
    sla_due_at: datetime | None = None  # timezone-aware
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class KbReview:
    """Where a resolved case stands on its way into the knowledge base."""

    status: KbStatus = "none"
    reviewed_by: str | None = None  # who nominated, approved or rejected it last
    reviewed_at: datetime | None = None
    problem: str | None = None  # the approved problem statement (exported as the subject)
    resolution: str | None = None  # the approved resolution: the only answer exported
    reason: str | None = None  # why it was rejected


@dataclass(frozen=True)
class Case:
    id: int
    conversation_id: str
    status: CaseStatus
    priority: float
    priority_reasons: tuple[str, ...]
    category: str
    queue: str
    summary: dict[str, Any]
    tags: tuple[str, ...]
    created_at: datetime
    sla_due_at: datetime | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    resolution: str | None = None
    merged_into: int | None = None
    resolved_at: datetime | None = None
    kb: KbReview = field(default_factory=KbReview)

    def waiting(self, now: datetime) -> timedelta:
        """How long the customer has waited since the hand-off (until it was resolved)."""
        return (self.resolved_at or now) - self.created_at


@dataclass(frozen=True)
class Feedback:
    conversation_id: str
    created_at: datetime
    helpful: bool | None = None
    csat: int | None = None  # 1–5
    comment: str = ""
    message_id: int | None = None  # the answer it is about, if any


class ConversationStore(Protocol):
    def reading(self) -> AbstractContextManager[None]:
        """The reads made inside share one transaction: one consistent snapshot, one session
        (a customer turn reads the conversation, its transcript, case and feedback at once)."""
        ...

    def writing(self) -> AbstractContextManager[None]:
        """The writes (and reads) made inside share one transaction: all of them land, or none
        (a customer turn writes its message, the reply and any case at the end, at once)."""
        ...

    def create_conversation(self, customer: Customer) -> NewConversation: ...

    def conversation(self, conversation_id: str, token: str | None = None) -> Conversation:
        """Raises NOT_FOUND for an unknown id, or a token that does not match it."""
        ...

    def add_message(
        self,
        conversation_id: str,
        speaker: Speaker,
        text: str,
        *,
        author: str = "",
        citations: Sequence[Citation] = (),
        confidence: float | None = None,
        kind: str = "",
        meta: dict[str, Any] | None = None,
    ) -> StoredMessage: ...

    def transcript(
        self, conversation_id: str, *, include_notes: bool = False
    ) -> list[StoredMessage]: ...

    def add_feedback(
        self,
        conversation_id: str,
        *,
        helpful: bool | None = None,
        csat: int | None = None,
        comment: str = "",
        message_id: int | None = None,
    ) -> Feedback: ...

    def feedback(self, conversation_id: str) -> list[Feedback]: ...


class CaseQueue(Protocol):
    def open_case(self, conversation_id: str, new: NewCase) -> Case: ...

    def case(self, case_id: int) -> Case: ...

    def list_cases(
        self,
        *,
        status: Sequence[CaseStatus] = ACTIVE_STATUSES,
        queue: str | None = None,
        category: str | None = None,
        claimed_by: str | None = None,
        conversation_id: str | None = None,
        sort: CaseSort = "priority",
        limit: int = 100,
    ) -> list[Case]:
        """`priority`: most urgent first, then longest waiting; `waiting`: longest waiting
        first; `sla`: earliest SLA due first (cases without one last)."""
        ...

    def cases_ahead(self, case: Case) -> int:
        """Open cases of `case`'s queue a person takes first: as urgent or more, and older."""
        ...

    def claim_waits(self, queue: str, limit: int = 50) -> list[float]:
        """Minutes from hand-off to claim of the queue's `limit` most recently claimed cases."""
        ...

    def search_cases(self, query: str, limit: int = 50) -> list[Case]:
        """By words said, the customer's email or account id, the issue, the case number."""
        ...

    def earlier_cases(self, case_id: int, limit: int = 20) -> list[Case]:
        """The same verified customer's other cases (none for an unverified one)."""
        ...

    def claim(self, case_id: int, agent: str) -> Case:
        """Exactly one of several agents claiming at once wins; the others get CONFLICT."""
        ...

    def release(self, case_id: int, agent: str) -> Case: ...


class CaseWork(Protocol):
    def reply(
        self, case_id: int, agent: str, text: str, *, wait_for_customer: bool = True
    ) -> StoredMessage:
        """The agent's message joins the customer's conversation."""
        ...

    def add_note(self, case_id: int, author: str, text: str) -> StoredMessage:
        """Internal: agents see it in the case transcript, the customer never does."""
        ...

    def tag(self, case_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Case: ...

    def update_summary(
        self,
        case_id: int,
        changes: dict[str, Any],
        *,
        priority: float | None = None,
        reasons: Sequence[str] | None = None,
    ) -> Case:
        """Merge `changes` into the case summary (details the customer added while waiting,
        a re-assessment after anger or a new problem); `priority` and `reasons`, when given,
        replace the case's."""
        ...

    def merge(self, case_id: int, into: int, agent: str) -> Case:
        """Close `case_id` as a duplicate of `into`; returns the surviving case."""
        ...

    def resolve(self, case_id: int, agent: str, resolution: str) -> Case: ...

    def reopen(self, case_id: int, agent: str, reason: str = "") -> Case: ...

    def case_transcript(self, case_id: int) -> list[StoredMessage]:
        """Notes included, and the messages of every case merged into this one."""
        ...


class KnowledgeReview(Protocol):
    """Resolved case → knowledge base, through an agent's review (the diagram above). Every
    move not drawn there is refused with `AnswerdeskError(CONFLICT)`."""

    def nominate(self, case_id: int, agent: str) -> Case:
        """Propose a resolved (not merged) case for the knowledge base; a candidate stays one."""
        ...

    def approve(
        self,
        case_id: int,
        agent: str,
        *,
        resolution: str | None = None,
        problem: str | None = None,
    ) -> Case:
        """Approve a candidate (or re-approve an approved or exported case with new wording).
        `resolution` defaults to the case's, `problem` to its summary's issue made neutral
        (`review.problem_statement`); both are redacted and checked (`review.approved_texts`)."""
        ...

    def reject(self, case_id: int, agent: str, reason: str) -> Case: ...

    def kb_cases(
        self, status: Sequence[KbStatus] = ("candidate",), limit: int = 1000, offset: int = 0
    ) -> list[Case]:
        """Cases in these review states, oldest resolution first (stable pages)."""
        ...

    def mark_exported(self, cases: Sequence[Case]) -> int:
        """Move these approved cases to exported, each only if it is still approved as read
        (a case approved again since keeps its new wording for the next export)."""
        ...


class Reporting(Protocol):
    """Read-only views over everything stored, for statistics and exports (admins only).
    Pages are in creation order, so paging with `offset` is stable while new rows arrive."""

    def list_conversations(self, limit: int = 1000, offset: int = 0) -> list[Conversation]: ...

    def messages_for(
        self, conversation_ids: Sequence[str], *, include_notes: bool = False
    ) -> list[StoredMessage]: ...

    def list_all_cases(self, limit: int = 1000, offset: int = 0) -> list[Case]:
        """Every case in any status, merged duplicates included."""
        ...

    def list_feedback(self, limit: int = 1000, offset: int = 0) -> list[Feedback]: ...

    def gap_questions(self, since: datetime, until: datetime) -> list[GapQuestion]:
        """Questions handed off for lack of content, or whose answer was marked unhelpful."""
        ...

    def article_use(self, since: datetime, until: datetime) -> list[ArticleUse]:
        """Per cited document: citations, thumbs and failed conversations (article_use.py)."""
        ...

    def dashboard(
        self,
        since: datetime,
        until: datetime,
        open_hours: Sequence[tuple[datetime, datetime]] | None = None,
    ) -> Dashboard:
        """The support team's figures for [since, until), computed by the database
        (definitions in `assistant/store/dashboard.py`); the response times also within
        `open_hours`, the support team's open intervals from `since` to now."""
        ...

    def ping(self) -> None:
        """Raises `AnswerdeskError(STORE_UNAVAILABLE)` when the database cannot be reached."""
        ...


@dataclass(frozen=True)
class Erased:
    """What a purge or an erasure deleted (in a dry run: would delete)."""

    conversations: int = 0
    messages: int = 0
    cases: int = 0
    feedback: int = 0


class Retention(Protocol):
    """Keeping customers' data no longer than needed: `answerdesk purge`, `answerdesk erase` and
    the admin erasure route. A conversation goes whole, with its messages, cases and feedback."""

    def purge(self, before: datetime, *, dry_run: bool = False) -> Erased:
        """Delete every conversation with nothing since `before`: created, written to, rated
        and (if handed off) resolved before it. Unresolved cases are never purged."""
        ...

    def erase_customer(self, email: str, *, dry_run: bool = False) -> Erased:
        """Delete every conversation of the customer with this account email (any case)."""
        ...


class IncidentBoard(Protocol):
    """Known problems, announced by an admin (life cycle in `incidents.py`)."""

    def open_incident(
        self, title: str, areas: Sequence[str], status: str, message: str, author: str
    ) -> Incident: ...

    def update_incident(self, incident_id: int, status: str, message: str, author: str) -> Incident:
        """A timed message, maybe a new status; CONFLICT once the incident is resolved."""
        ...

    def incident(self, incident_id: int) -> Incident: ...

    def incidents(
        self, *, resolved_since: datetime | None = None, limit: int = 50
    ) -> list[Incident]:
        """Active incidents first, then resolved ones (those resolved since `resolved_since`
        when given), newest first in each."""
        ...

    def active_incidents(self) -> list[Incident]: ...


class CaseStore(
    ConversationStore,
    CaseQueue,
    CaseWork,
    KnowledgeReview,
    Reporting,
    Retention,
    IncidentBoard,
    WebhookOutbox,
    MailQueue,
    Protocol,
):
    """The whole seam, as the server uses it."""


# A case's priority score (0-1) as the agent reads it; the one scale, used by the hand-off's
# priority model and by every listing of cases.
PRIORITY_LABELS = ((0.8, "urgent"), (0.6, "high"), (0.3, "normal"), (0.0, "low"))


def priority_label(score: float) -> str:
    return next(name for floor, name in PRIORITY_LABELS if score >= floor)


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write records one JSON object per line (atomically: a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")  # hidden: ingest skips it
    count = 0
    with partial.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    partial.replace(path)
    return count
