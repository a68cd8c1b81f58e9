"""One customer message, top to bottom: load what the turn needs once, decide, write once.

1. `TurnContext.load`: the conversation, the transcript so far, the open case, the pending
   intake question, a thumbs-down on the last answer, the active incidents — one read each.
2. `SupportAssistant.respond` triages and answers; `dialogue.classify` says what the message
   is (an answer to our intake question, a new question, a request for a person, anger).
3. `plan`: a pure choice of what to do, typed (`TurnPlan`) — nothing is written yet:
   - a person has the case → stay silent; it waits in the queue → a new question the help
     center answers is answered, anger or a request for a person re-assesses the case,
     details and new problems join it;
   - we asked for details → read them, ask only for what was never asked, or open the case;
   - otherwise `decide()`'s action: answer, clarify, answer and copy a team (a sales
     lead), or hand off (intake first, unless the customer is upset or asked for a person).
   A message about an active incident (`known_issues`) is told the incident's status first,
   and a case it opens is tagged with the incident, so the queue groups them.
4. `commit`: the customer's message, the case (opened or re-assessed) and our reply are
   written together at the end, through one `may_write` guard — a turn abandoned by its
   deadline writes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from assistant.backends import language_model
from assistant.decision import Decision, explain
from assistant.dialogue import (
    INTENT_KEY,
    Classified,
    PendingIntake,
    classify,
    issue_of,
    pending_intake,
)
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.handoff.case import HandoffInfo, Queues, summary_of
from assistant.handoff.intake import asking_for, assess, field_names, may_ask, question, unlabelled
from assistant.handoff.priority import priority_of
from assistant.handoff.summary import CaseSummary, SummaryInput, summarize
from assistant.handoff.text import acknowledged, handoff_text, offers_articles, waiting_text
from assistant.identity import audiences, trusted_plan
from assistant.known_issues import Evidence, affecting, description, notice, tag_of
from assistant.retrieval import Filters
from assistant.service import Reply, SentenceSink, SupportAssistant, validate_question
from assistant.store.incidents import Incident
from assistant.store.protocol import Case, CaseStore, Conversation, Feedback, StoredMessage
from assistant.triage import CustomerContext
from assistant.types import Answer, Citation, Turn

Action = Literal["answer", "clarify", "handoff", "waiting", "agent"]


@dataclass(frozen=True)
class TurnContext:
    """Everything one turn reads, loaded once."""

    conversation: Conversation
    text: str
    earlier: list[StoredMessage]
    case: Case | None  # the conversation's active case
    case_summary: CaseSummary | None  # its summary, read once
    pending: PendingIntake | None
    feedback: list[Feedback]
    incidents: list[Incident] = field(default_factory=list)  # active ones

    @classmethod
    def load(cls, store: CaseStore, conversation_id: str, token: str, text: str) -> TurnContext:
        with store.reading():
            conversation = store.conversation(conversation_id, token)
            earlier = store.transcript(conversation_id)
            cases = store.list_cases(conversation_id=conversation_id, limit=1)
            feedback = store.feedback(conversation_id)
            incidents = store.active_incidents()
        case = cases[0] if cases else None
        return cls(
            conversation,
            text,
            earlier,
            case,
            summary_of(case) if case is not None else None,
            pending_intake(earlier),
            feedback,
            incidents,
        )

    @property
    def thumbs_down(self) -> bool:
        """A thumbs-down on our latest answer counts as "that didn't help"."""
        last = next((m for m in reversed(self.earlier) if m.speaker == "assistant"), None)
        return last is not None and any(
            f.helpful is False
            and f.message_id in (None, last.id)
            and f.created_at >= last.created_at
            for f in self.feedback
        )

    @property
    def unhelpful(self) -> frozenset[int]:
        """Our answers the customer marked unhelpful."""
        return frozenset(
            f.message_id for f in self.feedback if f.helpful is False and f.message_id is not None
        )

    @property
    def customer(self) -> CustomerContext:
        """What raises priority: only what the embedding site vouched for."""
        return CustomerContext(plan=trusted_plan(self.conversation.customer))

    @property
    def filters(self) -> Filters:
        """What this customer may be answered from: never the support team's internal
        articles; a claimed plan or role changes nothing."""
        return Filters(audiences=audiences(self.conversation.customer))

    @property
    def history(self) -> list[Turn]:
        speakers: dict[str, Literal["user", "assistant", "agent"]] = {
            "customer": "user", "assistant": "assistant", "agent": "agent",
        }  # fmt: skip
        return [Turn(speakers[m.speaker], m.text) for m in self.earlier if m.speaker in speakers]


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
    incident: Incident | None = None  # the active incident the message is about


@dataclass(frozen=True)
class TurnPlan:
    """What the turn will write and say, decided before anything is written."""

    action: Action
    kind: str  # the stored kind of our reply ("" when silent)
    text: str
    decision: Decision
    intent: Classified
    answer: Answer | None = None  # shown with citations when the action is "answer"
    meta: dict[str, Any] = field(default_factory=dict)
    open_case: CaseSummary | None = None  # a new case, in `queue`
    queue: str = "support"
    with_sla: bool = True
    reassess: CaseSummary | None = None  # the active case, re-assessed
    asks_for: list[str] = field(default_factory=list)
    follow_up: bool = False  # an answer that also copied a team asks what they need
    incident: Incident | None = None  # told first; tags the case


@dataclass
class CustomerTurn:
    store: CaseStore
    assistant: SupportAssistant
    queues: Queues
    now: Callable[[], datetime]

    def run(
        self,
        conversation_id: str,
        token: str,
        text: str,
        *,
        on_sentence: SentenceSink | None = None,
        may_write: Callable[[], bool] = lambda: True,
    ) -> TurnResult:
        text = validate_question(text, self.assistant.settings.max_question_chars)
        ctx = TurnContext.load(self.store, conversation_id, token, text)
        if ctx.case is not None and ctx.case.status != "open":
            return self.commit(ctx, self.silent(ctx), may_write)
        similarity = self.similarity(ctx)
        if on_sentence is not None:  # a streamed reply tells of a reported incident first
            reported = self.incident(ctx, similarity)
            if reported is not None:
                on_sentence(notice(reported, self.now()))  # retracted if the reply is not it
        reply = self.assistant.respond(
            text, ctx.history, ctx.filters, context=ctx.customer, thumbs_down=ctx.thumbs_down,
            on_sentence=on_sentence,
        )  # fmt: skip
        waiting = ctx.case is not None
        said = classify(text, reply.triage, ctx.pending, ctx.conversation.customer, waiting)
        incident = self.incident(ctx, similarity, reply.answer)
        plan = dataclasses.replace(self.plan(ctx, reply, said), incident=incident)
        return self.commit(ctx, plan, may_write)

    # --- deciding (nothing is written here) -------------------------------------------------

    def similarity(self, ctx: TurnContext) -> list[float]:
        """The message's similarity to each active incident's description."""
        if not ctx.incidents:
            return []
        vectors = self.assistant.embedder.embed([ctx.text, *map(description, ctx.incidents)])
        return [float(vectors[0] @ v) for v in vectors[1:]]

    def incident(
        self, ctx: TurnContext, similarity: list[float], answer: Answer | None = None
    ) -> Incident | None:
        """The active incident this message is about, if any. Before the `answer` exists (to
        stream the notice first) only a reported problem counts, in the page's area or like
        the incident; the answer adds its article's area and how near it came."""
        if not ctx.incidents:
            return None
        areas = {ctx.conversation.customer.product_area.strip().lower()}
        if answer is not None:
            areas.add(_kb_area(answer))
        best = float(answer.features.get("dense_top", 0.0)) if answer is not None else 1.0
        evidence = Evidence(ctx.text, frozenset(areas - {""}), similarity, best)
        return affecting(ctx.incidents, evidence)

    def plan(self, ctx: TurnContext, reply: Reply, said: Classified) -> TurnPlan:
        if ctx.case is not None:
            return self.while_queued(ctx, ctx.case, reply, said)
        decision = reply.decision
        pending = ctx.pending
        if pending is not None and (said.angry or said.wants_person):
            # Upset or asking for a person: hand off now, with every reason, asking nothing.
            reasons = list(dict.fromkeys([*decision.reasons, *pending.reasons]))
            decision = dataclasses.replace(decision, action="handoff", reasons=reasons)
        elif pending is not None and said.intent == "intake_answer":
            # The customer answers our question: carry on with that hand-off.
            decision = Decision("handoff", pending.reasons, pending.explanation, pending.queue)
        elif pending is not None and decision.action == "handoff":
            # Still unresolved, now with this message's reasons too.
            reasons = list(dict.fromkeys([*decision.reasons, *pending.reasons]))
            decision = dataclasses.replace(decision, action="handoff", reasons=reasons)
        if decision.action == "handoff":
            return self.hand_off(ctx, reply, decision, said)
        answered = reply.answer.text
        if decision.acknowledge:  # frustrated, and the help center answers it
            answered = acknowledged(answered)
        if decision.route_to:  # answered, and also copied to a team (e.g. a sales lead)
            summary = self.summary(ctx, reply, decision, said)
            asks = list(field_names(summary.missing)[:2]) if may_ask(decision.reasons, 0) else []
            return TurnPlan(
                "answer", "answer", answered, decision, said, reply.answer,
                open_case=summary, queue=decision.route_to, with_sla=False, asks_for=asks,
                follow_up=True,
            )  # fmt: skip
        text = decision.question or answered
        return TurnPlan(decision.action, decision.action, text, decision, said, reply.answer)

    def silent(self, ctx: TurnContext) -> TurnPlan:
        case, summary = ctx.case, ctx.case_summary
        assert case is not None and summary is not None
        reasons = summary.handoff_reasons
        decision = Decision("handoff", reasons, f"{case.claimed_by} is handling this conversation")
        intent = Classified("question", False, False)
        return TurnPlan("agent", "", "", decision, intent)

    def while_queued(
        self, ctx: TurnContext, case: Case, reply: Reply, said: Classified
    ) -> TurnPlan:
        """The case waits for a person: answer what the help center answers, and let anger, a
        request for a person or a new problem update the case the agent will read."""
        decision = reply.decision
        summary = self.summary(ctx, reply, decision, said)
        upset = said.angry or said.wants_person
        if said.intent == "question" and decision.action == "answer" and not upset:
            answer = reply.answer
            text = f"{answer.text}\n\nYour case #{case.id} stays in the queue for a person."
            return TurnPlan("answer", "answer", text, decision, said, answer, reassess=summary)
        reasons = [r for r in decision.reasons if r in ("angry", "human_requested")]
        assert ctx.case_summary is not None
        kept = Decision("handoff", reasons or ctx.case_summary.handoff_reasons)
        return TurnPlan(
            "waiting", "waiting", "", kept, said, reassess=summary,
            meta={"reasons_added": reasons},
        )  # fmt: skip

    def hand_off(
        self, ctx: TurnContext, reply: Reply, decision: Decision, said: Classified
    ) -> TurnPlan:
        summary = self.summary(ctx, reply, decision, said)
        pending = ctx.pending
        asked = pending.asked if pending else ()
        questions = pending.questions if pending else 0
        # Never ask for a field twice: what was asked and not given, the agent asks.
        missing = [f for f in field_names(summary.missing) if f not in asked]
        if missing and may_ask(decision.reasons, questions):
            asks = missing[:2]
            meta = {
                "handoff": {
                    "reasons": decision.reasons, "explanation": decision.explanation,
                    "queue": decision.queue,
                },
                "asks_for": asks,
                "found": unlabelled(summary.fields),
            }  # fmt: skip
            text = question(asks, questions, decision.queue)
            clarify = Decision("clarify", ["missing_information"], explain("missing_information"))
            # Unsure of an answer, we still show the closest articles while we ask: the
            # customer may find it there before a person does.
            closest = reply.answer if offers_articles(decision.reasons) else None
            return TurnPlan(
                "clarify", "intake", text, clarify, said, closest, meta=meta, asks_for=list(asks)
            )
        answer = reply.answer
        if not offers_articles(decision.reasons):
            answer = dataclasses.replace(answer, related=[])
        return TurnPlan(
            "handoff", "handoff", "", decision, said, answer, open_case=summary,
            queue=decision.queue,
        )  # fmt: skip

    def summary(
        self,
        ctx: TurnContext,
        reply: Reply,
        decision: Decision,
        said: Classified,
    ) -> CaseSummary:
        """The case summary as it stands after this message (the message included): the
        active case's, re-assessed, when one waits in the queue."""
        queued = ctx.case_summary
        now = self.now()
        current = StoredMessage(
            0, ctx.conversation.id, "customer", ctx.text, now, meta={INTENT_KEY: said.intent}
        )
        transcript = [*ctx.earlier, current]
        customer = ctx.conversation.customer
        texts = [m.text for m in transcript if m.speaker == "customer"]
        earlier_reasons = queued.handoff_reasons if queued else []
        reasons = list(dict.fromkeys([*earlier_reasons, *decision.reasons]))
        failed = "repeated_failure" in reasons
        issue = queued.issue if queued else issue_of(transcript, ctx.text, said.intent, failed)
        issue_answer = reply.answer
        if issue and issue != ctx.text and queued is None:
            issue_answer = self.assistant.answer(issue, filters=ctx.filters)
        policies = [r.split(":", 1)[1] for r in reasons if r.startswith("policy:")]
        # What was read before, as it was said (the stored transcript is redacted).
        known = unlabelled(queued.fields) if queued else ctx.pending.found if ctx.pending else {}
        intake = assess(policies, texts, customer, _kb_area(issue_answer), known)
        detector = self.assistant.detector
        anger = [r.score for r in detector.assess_many(texts)] if detector else []
        model = self.assistant.chat_model
        summary = summarize(
            SummaryInput(
                customer, transcript, issue, issue_answer, reply.triage, anger, reasons,
                decision.explanation or explain(reasons[0] if reasons else "low_confidence"),
                intake, priority_of(reply.triage, reasons), ctx.unhelpful,
            ),
            language_model(model),
        )  # fmt: skip
        if queued is not None and said.intent == "question" and not reply.answer.citations:
            also = [*queued.also_reported, ctx.text]
            summary = dataclasses.replace(summary, also_reported=also)
        return summary

    # --- writing (once, at the end) -----------------------------------------------------------

    def commit(self, ctx: TurnContext, plan: TurnPlan, may_write: Callable[[], bool]) -> TurnResult:
        """The turn's writes, in one transaction: the reply, any case it opens or updates, and
        what the turn learned of the customer's message land together or not at all."""
        if not may_write():
            raise AnswerdeskError(ErrorCode.CONFLICT, "This turn took too long and was handed off.")
        with self.store.writing():
            return self._write(ctx, plan)

    def _write(self, ctx: TurnContext, plan: TurnPlan) -> TurnResult:
        cid = ctx.conversation.id
        said = self.store.add_message(
            cid, "customer", ctx.text, meta={INTENT_KEY: plan.intent.intent}
        )
        case, text = ctx.case, plan.text
        if plan.action == "agent":
            assert case is not None
            return TurnResult(
                cid, "agent", "", [], None, plan.decision.reasons, plan.decision.explanation,
                handoff=self.queues.info(case), customer_message=said,
            )  # fmt: skip
        incident = plan.incident
        tags = (tag_of(incident),) if incident is not None else ()
        if plan.open_case is not None:
            case = self.queues.open(
                cid, plan.open_case, plan.queue, with_sla=plan.with_sla, tags=tags
            )
        elif plan.reassess is not None and case is not None:
            added = [r for r in plan.decision.reasons if r in ("angry", "human_requested")]
            assert ctx.case_summary is not None
            case = self.queues.reassess(case, ctx.case_summary, added, plan.reassess)
            if tags and tags[0] not in case.tags:
                case = self.store.tag(case.id, add=tags)
        info = self.queues.info(case) if case is not None else None
        answer = plan.answer
        related = answer.related if answer is not None else []
        if plan.action == "handoff" and info is not None:
            text = handoff_text(
                plan.decision.reasons, info.queue, info.case_id, info.expected_wait.text,
                bool(related),
            )  # fmt: skip
        elif plan.action == "waiting" and info is not None:
            text = waiting_text(plan.meta.get("reasons_added", []), info.expected_wait.text)
        elif plan.follow_up and info is not None:
            text = _follow_up(text, info, plan.asks_for)
        answered = plan.action == "answer" and answer is not None
        meta: dict[str, Any] = {
            **plan.meta, "action": plan.kind, "reasons": plan.decision.reasons,
            "related": [dataclasses.asdict(c) for c in related],
        }  # fmt: skip
        if incident is not None:
            told = notice(incident, self.now())
            text = f"{told}\n\n{text}" if text else told
            meta["incident"] = incident.id
        if info is not None and plan.action != "clarify":
            meta["case_id"] = info.case_id
        stored = self.store.add_message(
            cid, "assistant", text, kind=plan.kind, meta=meta,
            citations=answer.citations if answered and answer else (),
            confidence=answer.confidence if answered and answer else None,
        )  # fmt: skip
        shown = plan.action in ("answer", "handoff", "clarify")
        return TurnResult(
            cid, plan.action, text, answer.citations if answered and answer else [],
            answer.confidence if answer is not None and shown else None, plan.decision.reasons,
            plan.decision.explanation, related=related,
            handoff=info if plan.action != "clarify" else None, message=stored,
            customer_message=said, asks_for=plan.asks_for, incident=incident,
        )  # fmt: skip


def _follow_up(text: str, info: HandoffInfo, asks: Sequence[str]) -> str:
    """A sales lead: the answer, then what the team needs to follow up, in the same message."""
    follow = f"I've also passed this to our {info.queue} team (case #{info.case_id})"
    follow += f"; so they can follow up, could you tell me {asking_for(asks)}?" if asks else "."
    return f"{text}\n\n{follow}"


def _kb_area(answer: Answer) -> str:
    """The product area of the best matching article, when the match is a real one."""
    if not answer.passages or answer.features.get("dense_top", 0.0) < 0.45:
        return ""
    return str(answer.passages[0].chunk.metadata.get("product_area", ""))
