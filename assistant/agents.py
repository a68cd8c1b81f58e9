"""The agents' side of the desk: the queue, a case with its summary, and the work on it.

It passes through to the `CaseStore`, with two additions: replies with unfilled
`{{placeholders}}` are refused, and a resolution that answers what the knowledge base could not
is tagged `candidate-article` and proposed for the knowledge base. It goes there only once an
agent approves it (`approve`, `answerdesk cases review`), and then only the approved problem
statement and resolution: the review loop is drawn in `assistant/store/protocol.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.handoff.case import summary_of
from assistant.handoff.priority import urgency
from assistant.handoff.replies import SavedReply, refuse_unfilled, saved_replies
from assistant.retrieval import Retriever
from assistant.store.protocol import (
    ACTIVE_STATUSES,
    Case,
    CaseSort,
    CaseStatus,
    CaseStore,
    Conversation,
    StoredMessage,
)

CANDIDATE_TAG = "candidate-article"
# Hand-off reasons that mean the knowledge base could not answer: a resolution is new knowledge.
KB_GAP_REASONS = frozenset({"low_confidence", "out_of_scope", "repeated_failure"})
# Below this similarity to anything indexed, a resolution says something the KB does not.
NOVEL_RESOLUTION = 0.75


@dataclass(frozen=True)
class CaseView:
    case: Case
    conversation: Conversation
    transcript: list[StoredMessage]  # notes included
    summary: dict[str, Any]  # the stored `CaseSummary`, as JSON
    earlier: list[Case] = field(default_factory=list)  # a verified customer's other cases


@dataclass
class AgentDesk:
    store: CaseStore
    retriever: Callable[[], Retriever]
    now: Callable[[], datetime]

    def cases(
        self,
        *,
        status: Sequence[CaseStatus] = ACTIVE_STATUSES,
        queue: str | None = None,
        sort: CaseSort = "priority",
        limit: int = 100,
    ) -> list[Case]:
        if sort != "priority":
            return self.store.list_cases(status=status, queue=queue, sort=sort, limit=limit)
        # Waiting raises urgency: re-rank the stored priority with the time waited so far.
        found = self.store.list_cases(status=status, queue=queue, sort=sort, limit=max(limit, 1000))
        now = self.now()
        found.sort(key=lambda c: (-urgency(c, now), c.created_at))
        return found[:limit]

    def case(self, case_id: int) -> CaseView:
        case = self.store.case(case_id)
        return CaseView(
            case,
            self.store.conversation(case.conversation_id),
            self.store.case_transcript(case_id),
            case.summary,
            self.store.earlier_cases(case_id),
        )

    def search(self, query: str, limit: int = 50) -> list[Case]:
        return self.store.search_cases(query, limit)

    def claim(self, case_id: int, agent: str) -> Case:
        return self.store.claim(case_id, agent)

    def release(self, case_id: int, agent: str) -> Case:
        return self.store.release(case_id, agent)

    def reply(
        self, case_id: int, agent: str, text: str, wait_for_customer: bool = True
    ) -> StoredMessage:
        refuse_unfilled(text)
        return self.store.reply(case_id, agent, text, wait_for_customer=wait_for_customer)

    def note(self, case_id: int, agent: str, text: str) -> StoredMessage:
        return self.store.add_note(case_id, agent, text)

    def tag(self, case_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Case:
        return self.store.tag(case_id, add, remove)

    def merge(self, case_id: int, into: int, agent: str) -> Case:
        return self.store.merge(case_id, into, agent)

    def reopen(self, case_id: int, agent: str, reason: str = "") -> Case:
        return self.store.reopen(case_id, agent, reason)

    def resolve(self, case_id: int, agent: str, resolution: str) -> Case:
        case = self.store.resolve(case_id, agent, resolution)
        if self.is_candidate_article(case, resolution):
            self.store.tag(case_id, add=[CANDIDATE_TAG])
            case = self.store.nominate(case_id, "answerdesk")
            self.store.add_note(
                case_id,
                "answerdesk",
                "Candidate help article: this resolution answers a question the knowledge base "
                "could not. Once an agent approves it, it is exported for the next ingest.",
            )
        return case

    # Into the knowledge base, through review (KnowledgeReview in assistant/store/protocol.py)

    def nominate(self, case_id: int, agent: str) -> Case:
        return self.store.nominate(case_id, agent)

    def approve(
        self, case_id: int, agent: str, resolution: str | None = None, problem: str | None = None
    ) -> Case:
        return self.store.approve(case_id, agent, resolution=resolution, problem=problem)

    def reject(self, case_id: int, agent: str, reason: str) -> Case:
        return self.store.reject(case_id, agent, reason)

    def is_candidate_article(self, case: Case, resolution: str) -> bool:
        """The hand-off happened because the KB had no answer, and the resolution says
        something the index does not already hold."""
        reasons = set(summary_of(case).handoff_reasons)
        if not reasons & KB_GAP_REASONS or len(resolution.split()) < 6:
            return False
        passages = self.retriever().search(resolution)
        best = max((p.dense_score or 0.0 for p in passages), default=0.0)
        return best < NOVEL_RESOLUTION

    def saved_replies(self, case_id: int, agent: str = "") -> list[SavedReply]:
        case = self.store.case(case_id)
        conversation = self.store.conversation(case.conversation_id)
        summary = summary_of(case)
        links = [(c.title, c.url) for c in summary.diagnosis.sources] or [
            (a.title, a.url) for a in summary.suggested_articles
        ]
        title, link = next(((t, u) for t, u in links if u), ("", ""))
        values = {
            "customer_email": conversation.customer.email,
            "plan": conversation.customer.plan,
            "case_id": str(case.id),
            "agent_name": agent or case.claimed_by or "",
            "issue": summary.issue,
            "article_title": title,
            "article_link": link,
        }
        return saved_replies(values)
