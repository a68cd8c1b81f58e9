"""`HelpDesk`: the conversation as the customer and the agents live it, persisted turn by turn.

It wires the parts and holds no state of its own (the API workers keep nothing in memory):

- `CustomerTurn` (`assistant.turn`): one customer message, loaded once, decided, written once;
- `Queues` (`assistant.handoff.case`): opening and re-assessing cases, the expected wait;
- `AgentDesk` (`assistant.agents`): the queue and the work on a case.

Beside them, the customer's other calls (start, read back, rate) and the hand-off of a turn
that failed or timed out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assistant.agents import AgentDesk
from assistant.decision import Decision, explain
from assistant.handoff.case import HandoffInfo, Queues
from assistant.handoff.summary import unavailable as unavailable_summary
from assistant.handoff.text import handoff_text
from assistant.service import SentenceSink, SupportAssistant
from assistant.settings import Settings
from assistant.store import make_case_store
from assistant.store.privacy import message_text
from assistant.store.protocol import (
    ACTIVE_STATUSES,
    Case,
    CaseStore,
    Conversation,
    Customer,
    Feedback,
    NewConversation,
    StoredMessage,
)
from assistant.turn import CustomerTurn, TurnResult

UNAVAILABLE = "backend_unavailable"


@dataclass(frozen=True)
class ConversationView:
    conversation: Conversation
    messages: list[StoredMessage]  # customer, assistant and agent messages; never notes
    handoff: HandoffInfo | None


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
    def queues(self) -> Queues:
        return Queues(self.settings, self.store, self.now)

    @property
    def agents(self) -> AgentDesk:
        return AgentDesk(self.store, lambda: self.assistant.retriever, self.now)

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
        may_write: Callable[[], bool] = lambda: True,
    ) -> TurnResult:
        """One customer message (see `assistant.turn`); `may_write` is asked once, before the
        turn writes anything (a turn abandoned by its deadline writes nothing)."""
        turn = CustomerTurn(self.store, self.assistant, self.queues, self.now)
        return turn.run(conversation_id, token, text, on_sentence=on_sentence, may_write=may_write)

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
        return self.queues.info(max(cases, key=lambda c: c.created_at))

    def hand_off_unavailable(self, conversation_id: str, text: str, since: datetime) -> TurnResult:
        """The assistant failed or timed out on this message: hand the conversation to a person
        with `backend_unavailable`, keeping the customer's message exactly once (a turn that
        failed part-way may have stored it already, at or after `since`)."""
        conversation = self.store.conversation(conversation_id)
        transcript = self.store.transcript(conversation_id)
        stored_as = {text.strip(), message_text("customer", text.strip())}  # stored redacted
        said = next(
            (
                m
                for m in reversed(transcript)
                if m.speaker == "customer" and m.text in stored_as and m.created_at >= since
            ),
            None,
        )
        if said is None:
            said = self.store.add_message(conversation_id, "customer", text.strip())
            transcript.append(said)
        case = self.queues.active(conversation_id) or self._open_unavailable(
            conversation, transcript
        )
        info = self.queues.info(case)
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
        self, conversation: Conversation, transcript: list[StoredMessage]
    ) -> Case:
        summary = unavailable_summary(conversation.customer, transcript)
        return self.queues.open(conversation.id, summary, "support", tags=(UNAVAILABLE,))
