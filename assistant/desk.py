"""`HelpDesk`: the conversation as the customer and the agents live it, persisted turn by turn.

One customer message, top to bottom (`send`):

    1. store it (the API workers keep nothing in memory);
    2. a person has the case → the assistant stays silent (`agent`); the case waits in the queue
       → the message joins it and the customer hears the expected wait (`waiting`);
    3. we were collecting case details → read them from this message; ask again or hand off;
    4. otherwise `SupportAssistant.respond()` answers, asks to clarify, or says hand off;
    5. hand-off: ask for missing required details first (≤ 2 questions, never when the customer
       is upset or asked for a person), then open the case with its summary and tell the
       customer who picks it up, the expected wait, and that the agent already has the summary.

The agent side passes through to the `CaseStore`, with two additions: replies with unfilled
`{{placeholders}}` are refused, and a resolution that answers what the knowledge base could not
is tagged `candidate-article` (the export carries it to the next ingest).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from assistant.backends.extractive import ExtractiveComposer
from assistant.decision import Decision, explain
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.handoff_text import handoff_text, offers_articles
from assistant.intake import (
    FIELDS,
    REQUIRED,
    Intake,
    asking_for,
    assess,
    collect,
    labelled,
    may_ask,
    question,
)
from assistant.priority import SLA_HOURS, priority_of, urgency
from assistant.replies import SavedReply, refuse_unfilled, saved_replies
from assistant.service import Reply, SentenceSink, SupportAssistant, validate_question
from assistant.settings import Settings
from assistant.store import make_case_store
from assistant.store.protocol import (
    ACTIVE_STATUSES,
    Case,
    CaseSort,
    CaseStatus,
    CaseStore,
    Conversation,
    Customer,
    Feedback,
    NewCase,
    NewConversation,
    StoredMessage,
)
from assistant.summary import SummaryInput, summarize
from assistant.summary import unavailable as unavailable_summary
from assistant.triage import CustomerContext
from assistant.types import Answer, Citation, Turn
from assistant.wait import QueueState, SupportHours, estimate

Action = Literal["answer", "clarify", "handoff", "waiting", "agent"]
CANDIDATE_TAG = "candidate-article"
UNAVAILABLE = "backend_unavailable"
# Hand-off reasons that mean the knowledge base could not answer: a resolution is new knowledge.
KB_GAP_REASONS = frozenset({"low_confidence", "out_of_scope", "repeated_failure"})
# Below this similarity to anything indexed, a resolution says something the KB does not.
NOVEL_RESOLUTION = 0.75


@dataclass(frozen=True)
class ExpectedWait:
    """What the customer is told about the wait; `minutes` is None when it cannot be estimated."""

    minutes: int | None
    text: str
    within_hours: bool  # support is staffed now
    back_at: str | None = None  # ISO time support opens again, when outside hours


@dataclass(frozen=True)
class HandoffInfo:
    case_id: int
    queue: str
    status: str
    expected_wait: ExpectedWait


@dataclass(frozen=True)
class TurnResult:
    """What the customer sees after one message. `message` is None when the assistant is silent
    because a person has the case."""

    conversation_id: str
    action: Action
    text: str
    citations: list[Citation]
    confidence: float | None
    reasons: list[str]
    explanation: str
    related: list[Citation] = field(default_factory=list)
    handoff: HandoffInfo | None = None
    message: StoredMessage | None = None
    customer_message: StoredMessage | None = None
    asks_for: list[str] = field(default_factory=list)  # case details an intake question asks for


@dataclass(frozen=True)
class ConversationView:
    conversation: Conversation
    messages: list[StoredMessage]  # customer, assistant and agent messages; never notes
    handoff: HandoffInfo | None


@dataclass(frozen=True)
class CaseView:
    case: Case
    conversation: Conversation
    transcript: list[StoredMessage]  # notes included
    summary: dict[str, Any]


@dataclass
class HelpDesk:
    settings: Settings
    store: CaseStore
    assistant: SupportAssistant
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: CaseStore | None = None,
        assistant: SupportAssistant | None = None,
    ) -> HelpDesk:
        return cls(
            settings,
            store or make_case_store(settings),
            assistant or SupportAssistant.from_settings(settings),
        )

    @property
    def hours(self) -> SupportHours:
        return SupportHours.parse(self.settings.support_hours, self.settings.support_timezone)

    # --- the customer's side ------------------------------------------------------------

    def start(self, customer: Customer) -> NewConversation:
        return self.store.create_conversation(customer)

    def send(
        self,
        conversation_id: str,
        token: str,
        text: str,
        *,
        on_sentence: SentenceSink | None = None,
    ) -> TurnResult:
        conversation = self.store.conversation(conversation_id, token)
        text = text.strip()
        # Validate before storing anything: a rejected message leaves no trace.
        validate_question(text, self.settings.max_question_chars)
        earlier = self.store.transcript(conversation_id)
        case = self._active_case(conversation_id)
        said = self.store.add_message(conversation_id, "customer", text)
        if case is not None:
            return self._while_queued(conversation, case, said, [*earlier, said])
        pending = _pending_intake(earlier)
        reply = self.assistant.respond(
            text,
            _history(earlier),
            context=CustomerContext(plan=conversation.customer.plan),
            thumbs_down=self._thumbs_down(conversation_id, earlier),
            on_sentence=on_sentence,
        )
        decision = reply.decision
        if pending is not None and not (reply.triage.angry or reply.triage.human_requested):
            # The customer is answering our intake question: carry on with that hand-off.
            decision = Decision(
                "handoff",
                list(pending["reasons"]),
                pending["explanation"],
                pending["queue"],
                pending["priority"],
            )
        elif pending is not None:
            decision = dataclasses.replace(
                decision,
                action="handoff",
                reasons=list(dict.fromkeys([*decision.reasons, *pending["reasons"]])),
            )
        if decision.action == "handoff":
            return self._hand_off(conversation, reply, decision, said, [*earlier, said])
        if decision.route_to:  # answered, and also copied to a team (e.g. a sales lead)
            return self._answer_and_route(conversation, reply, decision, said, [*earlier, said])
        answer = reply.answer
        text = decision.question or answer.text
        stored = self._say(conversation_id, text, decision, answer, decision.action)
        return self._turn(conversation_id, decision.action, answer, decision, stored, said, text)

    def view(self, conversation_id: str, token: str) -> ConversationView:
        conversation = self.store.conversation(conversation_id, token)
        return ConversationView(
            conversation,
            self.store.transcript(conversation_id),
            self.handoff_of(conversation_id),
        )

    def feedback(
        self,
        conversation_id: str,
        token: str,
        *,
        helpful: bool | None = None,
        csat: int | None = None,
        comment: str = "",
        message_id: int | None = None,
    ) -> Feedback:
        self.store.conversation(conversation_id, token)
        return self.store.add_feedback(
            conversation_id, helpful=helpful, csat=csat, comment=comment, message_id=message_id
        )

    def handoff_of(self, conversation_id: str) -> HandoffInfo | None:
        """The conversation's latest case (active, or the last one resolved)."""
        cases = self.store.list_cases(
            conversation_id=conversation_id,
            status=(*ACTIVE_STATUSES, "resolved"),
            sort="waiting",
        )
        if not cases:
            return None
        latest = max(cases, key=lambda c: c.created_at)
        return HandoffInfo(latest.id, latest.queue, latest.status, self.expected_wait(latest))

    def hand_off_unavailable(self, conversation_id: str, text: str, since: datetime) -> TurnResult:
        """The assistant failed or timed out on this message: hand the conversation to a person
        with `backend_unavailable`, keeping the customer's message exactly once (a turn that
        failed part-way may have stored it already, at or after `since`)."""
        conversation = self.store.conversation(conversation_id)
        transcript = self.store.transcript(conversation_id)
        said = next(
            (
                m
                for m in reversed(transcript)
                if m.speaker == "customer" and m.text == text.strip() and m.created_at >= since
            ),
            None,
        )
        if said is None:
            said = self.store.add_message(conversation_id, "customer", text.strip())
            transcript.append(said)
        case = self._active_case(conversation_id) or self._open_unavailable(
            conversation, transcript
        )
        info = HandoffInfo(case.id, case.queue, case.status, self.expected_wait(case))
        decision = Decision("handoff", [UNAVAILABLE], explain(UNAVAILABLE))
        reply = handoff_text(
            decision.reasons, info.queue, info.case_id, info.expected_wait.text, False
        )
        stored = self.store.add_message(
            conversation_id, "assistant", reply, kind="handoff",
            meta={"action": "handoff", "reasons": [UNAVAILABLE], "related": [], "case_id": case.id},
        )  # fmt: skip
        return TurnResult(
            conversation_id, "handoff", reply, [], None, [UNAVAILABLE], decision.explanation,
            handoff=info, message=stored, customer_message=said,
        )  # fmt: skip

    def _open_unavailable(
        self, conversation: Conversation, transcript: Sequence[StoredMessage]
    ) -> Case:
        summary = unavailable_summary(conversation.customer, transcript)
        new = NewCase(
            summary=summary, priority=0.5, category="general", queue="support",
            reasons=tuple(summary["priority"]["why"]), tags=(UNAVAILABLE,),
            sla_due_at=self.now() + timedelta(hours=SLA_HOURS["normal"]),
        )  # fmt: skip
        try:
            return self.store.open_case(conversation.id, new)
        except AnswerdeskError as error:  # a turn that failed part-way opened one meanwhile
            again = self._active_case(conversation.id)
            if error.code is not ErrorCode.CONFLICT or again is None:
                raise
            return again

    # --- the agent's side ---------------------------------------------------------------

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
        )

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
            case = self.store.tag(case_id, add=[CANDIDATE_TAG])
            self.store.add_note(
                case_id,
                "answerdesk",
                "Candidate help article: this resolution answers a question the knowledge base "
                "could not. It is exported with the resolved cases for the next ingest.",
            )
        return case

    def is_candidate_article(self, case: Case, resolution: str) -> bool:
        """The hand-off happened because the KB had no answer, and the resolution says
        something the index does not already hold."""
        reasons = set(case.summary.get("handoff_reasons", []))
        if not reasons & KB_GAP_REASONS or len(resolution.split()) < 6:
            return False
        passages = self.assistant.retriever.search(resolution)
        best = max((p.dense_score or 0.0 for p in passages), default=0.0)
        return best < NOVEL_RESOLUTION

    def saved_replies(self, case_id: int, agent: str = "") -> list[SavedReply]:
        case = self.store.case(case_id)
        conversation = self.store.conversation(case.conversation_id)
        sources = case.summary.get("diagnosis", {}).get("sources", []) or case.summary.get(
            "suggested_articles", []
        )
        article: dict[str, Any] = next((s for s in sources if s.get("url")), {})
        values = {
            "customer_email": conversation.customer.email,
            "plan": conversation.customer.plan,
            "case_id": str(case.id),
            "agent_name": agent or case.claimed_by or "",
            "issue": str(case.summary.get("issue", "")),
            "article_title": str(article.get("title", "")),
            "article_link": str(article.get("url", "")),
        }
        return saved_replies(values)

    # --- inside a turn --------------------------------------------------------------------

    def _active_case(self, conversation_id: str) -> Case | None:
        cases = self.store.list_cases(conversation_id=conversation_id, limit=1)
        return cases[0] if cases else None

    def _thumbs_down(self, conversation_id: str, earlier: Sequence[StoredMessage]) -> bool:
        """A thumbs-down on the assistant's latest answer counts as "that didn't help"."""
        last = next((m for m in reversed(earlier) if m.speaker == "assistant"), None)
        if last is None:
            return False
        return any(
            f.helpful is False and f.message_id in (None, last.id)
            for f in self.store.feedback(conversation_id)
            if f.created_at >= last.created_at
        )

    def _while_queued(
        self,
        conversation: Conversation,
        case: Case,
        said: StoredMessage,
        transcript: Sequence[StoredMessage],
    ) -> TurnResult:
        info = HandoffInfo(case.id, case.queue, case.status, self.expected_wait(case))
        decision = Decision("handoff", list(case.summary.get("handoff_reasons", [])))
        if case.status != "open":  # a person has it: they answer, the assistant stays silent
            return TurnResult(
                conversation.id, "agent", "", [], None, decision.reasons,
                f"{case.claimed_by} is handling this conversation", handoff=info,
                customer_message=said,
            )  # fmt: skip
        self._refresh_details(conversation, case, transcript)
        text = (
            "Thanks, I've added that to your case so the person picking it up sees it. "
            + info.expected_wait.text
        )
        stored = self.store.add_message(
            conversation.id, "assistant", text, kind="waiting",
            meta={"action": "waiting", "reasons": decision.reasons, "case_id": case.id},
        )  # fmt: skip
        return TurnResult(
            conversation.id, "waiting", text, [], None, decision.reasons,
            "a person will pick up your case", handoff=info, message=stored,
            customer_message=said,
        )  # fmt: skip

    def _refresh_details(
        self, conversation: Conversation, case: Case, transcript: Sequence[StoredMessage]
    ) -> None:
        """Details the customer gives while the case waits go into its summary."""
        texts = [m.text for m in transcript if m.speaker == "customer"]
        known = {
            **case.summary.get("fields", {}),
            **labelled(collect(texts, conversation.customer)),
        }
        required = REQUIRED.get(case.category, ())
        missing = [FIELDS[f].label for f in required if FIELDS[f].label not in known]
        if known != case.summary.get("fields") or missing != case.summary.get("missing"):
            self.store.update_summary(case.id, {"fields": known, "missing": missing})

    def _hand_off(
        self,
        conversation: Conversation,
        reply: Reply,
        decision: Decision,
        said: StoredMessage,
        transcript: list[StoredMessage],
    ) -> TurnResult:
        intake = self._intake(conversation, reply, decision, transcript)
        asked = sum(m.kind == "intake" for m in _since_last_case(transcript))
        if intake.missing and may_ask(decision.reasons, asked):
            return self._ask(conversation.id, reply, decision, intake, asked, said)
        info = self._open_case(
            conversation, reply, decision, intake, transcript, decision.queue, with_sla=True
        )
        # The closest articles help only when the knowledge base fell short of the question;
        # out of scope they are about something else, and a customer who asked for a person
        # or is upset wants the person, not reading.
        answer = reply.answer
        if not offers_articles(decision.reasons):
            answer = dataclasses.replace(answer, related=[])
        text = handoff_text(
            decision.reasons,
            info.queue,
            info.case_id,
            info.expected_wait.text,
            bool(answer.related),
        )
        stored = self._say(conversation.id, text, decision, answer, "handoff", info.case_id)
        return self._turn(conversation.id, "handoff", answer, decision, stored, said, text, info)

    def _ask(
        self,
        conversation_id: str,
        reply: Reply,
        decision: Decision,
        intake: Intake,
        asked: int,
        said: StoredMessage,
    ) -> TurnResult:
        text = question(intake.missing, asked, decision.queue)
        meta = {
            "action": "clarify",
            "reasons": ["missing_information"],
            "handoff": {
                "reasons": decision.reasons,
                "explanation": decision.explanation,
                "queue": decision.queue,
                "priority": decision.priority,
            },
            "asks_for": list(intake.missing[:2]),
        }
        stored = self.store.add_message(
            conversation_id, "assistant", text, kind="intake", meta=meta
        )
        return TurnResult(
            conversation_id, "clarify", text, [], None, ["missing_information"],
            explain("missing_information"), related=[], message=stored, customer_message=said,
            asks_for=list(intake.missing[:2]),
        )  # fmt: skip

    def _answer_and_route(
        self,
        conversation: Conversation,
        reply: Reply,
        decision: Decision,
        said: StoredMessage,
        transcript: list[StoredMessage],
    ) -> TurnResult:
        """Answer, and open a case in the team's queue (a sales lead) — asking in the same
        message for what the team needs to follow up, since the customer is still here."""
        intake = self._intake(conversation, reply, decision, transcript)
        queue = decision.route_to or decision.queue
        info = self._open_case(
            conversation, reply, decision, intake, transcript, queue, with_sla=False
        )
        asks = list(intake.missing[:2]) if may_ask(decision.reasons, 0) else []
        follow_up = f"I've also passed this to our {queue} team (case #{info.case_id})"
        follow_up += (
            f"; so they can follow up, could you tell me {asking_for(asks)}?" if asks else "."
        )
        answer = dataclasses.replace(reply.answer, text=f"{reply.answer.text}\n\n{follow_up}")
        stored = self._say(conversation.id, answer.text, decision, answer, "answer", info.case_id)
        result = self._turn(conversation.id, "answer", answer, decision, stored, said)
        return dataclasses.replace(result, handoff=info, asks_for=asks)

    def _intake(
        self,
        conversation: Conversation,
        reply: Reply,
        decision: Decision,
        transcript: Sequence[StoredMessage],
    ) -> Intake:
        texts = [m.text for m in transcript if m.speaker == "customer"]
        policies = [r.split(":", 1)[1] for r in decision.reasons if r.startswith("policy:")]
        return assess(policies, texts, conversation.customer, _kb_area(reply.answer))

    def _open_case(
        self,
        conversation: Conversation,
        reply: Reply,
        decision: Decision,
        intake: Intake,
        transcript: Sequence[StoredMessage],
        queue: str,
        with_sla: bool,
    ) -> HandoffInfo:
        """Summarise, open the case in `queue`, and say where it stands."""
        summary = self._summary(conversation, reply, decision, intake, transcript)
        priority = summary["priority"]
        due = self.now() + timedelta(hours=SLA_HOURS[priority["label"]]) if with_sla else None
        case = self.store.open_case(
            conversation.id,
            NewCase(
                summary=summary, priority=priority["score"], category=intake.category,
                queue=queue, reasons=tuple(priority["why"]), sla_due_at=due,
                tags=tuple(decision.reasons),
            ),
        )  # fmt: skip
        return HandoffInfo(case.id, case.queue, case.status, self.expected_wait(case))

    def _summary(
        self,
        conversation: Conversation,
        reply: Reply,
        decision: Decision,
        intake: Intake,
        transcript: Sequence[StoredMessage],
    ) -> dict[str, Any]:
        texts = [m.text for m in transcript if m.speaker == "customer"]
        detector = self.assistant.detector
        anger = [r.score for r in detector.assess_many(texts)] if detector else []
        issue_answer = reply.answer
        if not issue_answer.passages and texts:
            issue_answer = self.assistant.answer(texts[0])
        unhelpful = frozenset(
            f.message_id
            for f in self.store.feedback(conversation.id)
            if f.helpful is False and f.message_id is not None
        )
        model = self.assistant.chat_model
        llm = None if isinstance(model, ExtractiveComposer) else model
        priority = priority_of(reply.triage, conversation.customer, decision.reasons)
        return summarize(
            SummaryInput(
                conversation.customer, list(transcript), issue_answer, reply.triage, anger,
                decision.reasons, decision.explanation or explain(decision.reasons[0]),
                intake, priority, unhelpful,
            ),
            llm,
        )  # fmt: skip

    def expected_wait(self, case: Case) -> ExpectedWait:
        now = self.now()
        if case.status != "open":
            text = (
                "Your case is resolved."
                if case.status == "resolved"
                else f"{case.claimed_by or 'A person'} from our team is on your case."
            )
            minutes = None if case.status == "resolved" else 0
            return ExpectedWait(minutes, text, self.hours.is_open(now))
        waiting = self.store.list_cases(status=("open",), queue=case.queue, limit=500)
        ahead = sum(
            c.id != case.id and c.priority >= case.priority and c.created_at <= case.created_at
            for c in waiting
        )
        recent = self.store.list_cases(
            status=("claimed", "waiting_on_customer", "resolved"), queue=case.queue,
            sort="waiting", limit=50,
        )  # fmt: skip
        waits = [
            (c.claimed_at - c.created_at).total_seconds() / 60
            for c in recent
            if c.claimed_at is not None
        ]
        result = estimate(
            now,
            self.hours,
            QueueState(ahead, waits),
            self.settings.default_wait_minutes,
            self.settings.wait_minutes_per_case,
        )
        return ExpectedWait(
            result.minutes,
            result.text,
            result.within_hours,
            result.back_at.isoformat() if result.back_at else None,
        )

    def _say(
        self,
        conversation_id: str,
        text: str,
        decision: Decision,
        answer: Answer,
        kind: str,
        case_id: int | None = None,
    ) -> StoredMessage:
        meta: dict[str, Any] = {
            "action": kind,
            "reasons": decision.reasons,
            "related": [dataclasses.asdict(c) for c in answer.related],
        }
        if case_id is not None:
            meta["case_id"] = case_id
        answered = kind == "answer"
        return self.store.add_message(
            conversation_id, "assistant", text,
            citations=answer.citations if answered else (),
            confidence=answer.confidence if answered else None,
            kind=kind, meta=meta,
        )  # fmt: skip

    def _turn(
        self,
        conversation_id: str,
        action: Action,
        answer: Answer,
        decision: Decision,
        stored: StoredMessage,
        said: StoredMessage,
        text: str | None = None,
        handoff: HandoffInfo | None = None,
    ) -> TurnResult:
        answered = action == "answer"
        return TurnResult(
            conversation_id, action, answer.text if text is None else text,
            answer.citations if answered else [], answer.confidence, decision.reasons,
            decision.explanation, related=answer.related, handoff=handoff, message=stored,
            customer_message=said,
        )  # fmt: skip


def _history(messages: Sequence[StoredMessage]) -> list[Turn]:
    speakers: dict[str, Literal["user", "assistant", "agent"]] = {
        "customer": "user",
        "assistant": "assistant",
        "agent": "agent",
    }
    return [Turn(speakers[m.speaker], m.text) for m in messages if m.speaker in speakers]


def _since_last_case(messages: Sequence[StoredMessage]) -> list[StoredMessage]:
    """The messages after the last hand-off (intake questions are counted per hand-off)."""
    last = max((i for i, m in enumerate(messages) if m.kind == "handoff"), default=-1)
    return list(messages[last + 1 :])


def _pending_intake(earlier: Sequence[StoredMessage]) -> dict[str, Any] | None:
    """The hand-off we were collecting details for, if our last message asked for them."""
    last = next((m for m in reversed(earlier) if m.speaker == "assistant"), None)
    if last is None or last.kind != "intake":
        return None
    pending = last.meta.get("handoff")
    return dict(pending) if isinstance(pending, dict) else None


def _kb_area(answer: Answer) -> str:
    """The product area of the best matching article, when the match is a real one."""
    if not answer.passages or answer.features.get("dense_top", 0.0) < 0.45:
        return ""
    return str(answer.passages[0].chunk.metadata.get("product_area", ""))
