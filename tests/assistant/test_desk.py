"""The help desk, as a customer and the agents live it: answers, intake, hand-off, the queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from assistant.agents import CANDIDATE_TAG
from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.protocol import Customer, NewConversation

KNOWN = Customer(id="C-1", email="owner@shop.example", plan="business")
ANSWERABLE = "How do I turn on two-factor authentication?"
OUT_OF_SCOPE = "Can you recommend a good pizza place in Rome?"


def chat(desk: HelpDesk, customer: Customer = KNOWN) -> NewConversation:
    return desk.start(customer)


def test_an_answerable_question_is_answered_with_citations_and_stored(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk)
    turn = sample_desk.send(c.id, c.token, ANSWERABLE)
    assert turn.action == "answer", turn
    assert turn.citations and turn.confidence is not None and turn.handoff is None
    view = sample_desk.view(c.id, c.token)
    assert [(m.speaker, m.kind) for m in view.messages] == [
        ("customer", "message"),
        ("assistant", "answer"),
    ]
    assert view.messages[1].citations == tuple(turn.citations)


def test_out_of_scope_hands_off_at_once_with_a_summary_and_the_expected_wait(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk)
    turn = sample_desk.send(c.id, c.token, OUT_OF_SCOPE)
    assert turn.action == "handoff" and turn.reasons[0] == "out_of_scope"
    assert turn.handoff is not None and turn.handoff.status == "open"
    assert turn.handoff.expected_wait.within_hours
    assert turn.handoff.expected_wait.minutes == sample_desk.settings.default_wait_minutes
    assert "already have a summary" in turn.text and "won't need to repeat" in turn.text
    assert turn.handoff.expected_wait.text in turn.text
    case = sample_desk.agents.case(turn.handoff.case_id)
    assert case.summary["issue"] == OUT_OF_SCOPE
    assert case.summary["handoff_reasons"] == ["out_of_scope"]
    assert case.conversation.status == "handed_off"


def test_a_request_for_a_person_is_honoured_at_once_in_the_second_person(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk)
    turn = sample_desk.send(c.id, c.token, "get me a human")
    assert turn.action == "handoff" and "human_requested" in turn.reasons
    assert "as you asked" in turn.text and "the customer" not in turn.text.lower()
    assert turn.related == []  # the person, not reading


def test_an_upset_customer_hears_empathy_before_the_hand_off(sample_desk: HelpDesk) -> None:
    c = chat(sample_desk)
    angry = "This is the third time I'm asking, your product is garbage, get me a human"
    turn = sample_desk.send(c.id, c.token, angry)
    assert turn.action == "handoff" and {"angry", "human_requested"} <= set(turn.reasons)
    assert turn.text.startswith("I'm sorry this has been frustrating.")
    assert "the customer" not in turn.text.lower() and "upset" not in turn.text


def test_missing_details_are_asked_for_before_the_hand_off_then_it_arrives_complete(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk, Customer())  # anonymous: we do not know the account
    first = sample_desk.send(c.id, c.token, "Payroll for my contractors in Brazil keeps failing")
    assert first.action == "clarify" and first.reasons == ["missing_information"]
    assert first.asks_for == ["account", "error_message"]
    assert first.handoff is None and not sample_desk.agents.cases()
    second = sample_desk.send(
        c.id, c.token, 'it is jo@brazil.example and it says "Payment rail not supported"'
    )
    assert second.action == "clarify" and second.asks_for == ["started"]
    third = sample_desk.send(c.id, c.token, "since last Monday")
    assert third.action == "handoff" and third.handoff is not None
    summary = sample_desk.agents.case(third.handoff.case_id).summary
    assert summary["missing"] == []
    assert summary["fields"]["Account"] == "jo@brazil.example"
    assert summary["fields"]["Error message"] == "Payment rail not supported"
    assert summary["fields"]["Started"] == "since last Monday"


def test_intake_asks_two_questions_at_most_then_hands_off_with_what_is_missing(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk, Customer())
    actions = [
        sample_desk.send(c.id, c.token, text).action
        for text in ("Payroll for my contractors in Brazil keeps failing", "no idea", "dunno")
    ]
    assert actions == ["clarify", "clarify", "handoff"]
    case = sample_desk.agents.cases()[0]
    assert "Account" in case.summary["missing"]
    assert any(step.startswith("Ask for:") for step in case.summary["next_steps"])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("let me talk to a real person about payroll failing for contractors", "human_requested"),
        ("This is the THIRD time I ask!!! Payroll keeps failing, nobody helps, useless", "angry"),
    ],
)
def test_angry_customers_and_human_requests_are_handed_off_without_questions(
    sample_desk: HelpDesk, text: str, reason: str
) -> None:
    c = chat(sample_desk, Customer())
    turn = sample_desk.send(c.id, c.token, text)
    assert turn.action == "handoff" and reason in turn.reasons
    summary = sample_desk.agents.case(turn.handoff.case_id).summary  # type: ignore[union-attr]
    assert "Account" in summary["missing"]  # the agent asks, not the bot


def test_once_a_person_claims_the_case_the_assistant_stays_silent_until_resolved(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk)
    case_id = sample_desk.send(c.id, c.token, OUT_OF_SCOPE).handoff.case_id  # type: ignore[union-attr]
    queued = sample_desk.send(c.id, c.token, "also, any good gelato?")
    assert queued.action == "waiting" and "added that to your case" in queued.text
    sample_desk.agents.claim(case_id, "alice")
    silent = sample_desk.send(c.id, c.token, ANSWERABLE)
    assert silent.action == "agent" and silent.message is None and silent.text == ""
    sample_desk.agents.reply(case_id, "alice", "Hi, Tallybook can't help with restaurants, sorry!")
    speakers = [m.speaker for m in sample_desk.view(c.id, c.token).messages]
    assert speakers[-2:] == ["customer", "agent"]
    assert speakers.count("assistant") == 2  # the hand-off and the waiting note, nothing after
    sample_desk.agents.resolve(case_id, "alice", "Not a Tallybook question.")
    assert sample_desk.send(c.id, c.token, "verify webhook signature").action == "answer"


def test_a_released_case_is_back_in_the_queue_and_the_customer_hears_the_wait(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk)
    case_id = sample_desk.send(c.id, c.token, OUT_OF_SCOPE).handoff.case_id  # type: ignore[union-attr]
    sample_desk.agents.claim(case_id, "alice")
    sample_desk.agents.release(case_id, "alice")
    assert sample_desk.send(c.id, c.token, "hello?").action == "waiting"


def test_the_expected_wait_counts_the_cases_ahead_and_knows_support_hours(
    sample_desk: HelpDesk,
) -> None:
    waits = []
    for _ in range(3):
        c = chat(sample_desk)
        turn = sample_desk.send(c.id, c.token, OUT_OF_SCOPE)
        waits.append(turn.handoff.expected_wait.minutes)  # type: ignore[union-attr]
    per_case = sample_desk.settings.wait_minutes_per_case
    assert waits == [10, 10 + per_case, 10 + 2 * per_case]
    sample_desk.now = lambda: datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # a Saturday
    c = chat(sample_desk)
    weekend = sample_desk.send(c.id, c.token, OUT_OF_SCOPE).handoff.expected_wait  # type: ignore[union-attr]
    assert not weekend.within_hours and weekend.minutes is None
    assert weekend.back_at == "2026-11-30T08:00:00+00:00" and "Monday 08:00" in weekend.text


def test_a_thumbs_down_counts_as_that_did_not_help(sample_desk: HelpDesk) -> None:
    c = chat(sample_desk)
    answered = sample_desk.send(c.id, c.token, ANSWERABLE)
    assert answered.message is not None
    sample_desk.feedback(c.id, c.token, helpful=False, message_id=answered.message.id)
    turn = sample_desk.send(c.id, c.token, "ok and what about backup codes?")
    assert turn.action == "handoff" and "repeated_failure" in turn.reasons
    summary = sample_desk.agents.case(turn.handoff.case_id).summary  # type: ignore[union-attr]
    suggested = [t for t in summary["tried"] if t["what"].startswith("Suggested:")]
    assert suggested and all(t["helped"] is False for t in suggested)


def test_bad_input_is_refused_and_nothing_is_stored(sample_desk: HelpDesk) -> None:
    c = chat(sample_desk)
    for text in ("", "   ", "x" * (sample_desk.settings.max_question_chars + 1)):
        with pytest.raises(AnswerdeskError) as error:
            sample_desk.send(c.id, c.token, text)
        assert error.value.code is ErrorCode.INVALID_INPUT
    with pytest.raises(AnswerdeskError) as error:
        sample_desk.send(c.id, "not-the-token", ANSWERABLE)
    assert error.value.code is ErrorCode.NOT_FOUND
    assert sample_desk.view(c.id, c.token).messages == []


def test_a_reply_with_an_unfilled_placeholder_is_refused(sample_desk: HelpDesk) -> None:
    c = chat(sample_desk)
    case_id = sample_desk.send(c.id, c.token, OUT_OF_SCOPE).handoff.case_id  # type: ignore[union-attr]
    sample_desk.agents.claim(case_id, "alice")
    replies = {r.id: r for r in sample_desk.agents.saved_replies(case_id, "alice")}
    greeting = replies["greeting"]
    assert greeting.unfilled == ["first_name"] and "I'm alice" in greeting.text
    assert f"case #{case_id}" in replies["need-details"].text
    with pytest.raises(AnswerdeskError) as error:
        sample_desk.agents.reply(case_id, "alice", greeting.text)
    assert error.value.code is ErrorCode.UNPROCESSABLE and "{{first_name}}" in error.value.message
    before = len(sample_desk.view(c.id, c.token).messages)
    sample_desk.agents.reply(case_id, "alice", greeting.text.replace("{{first_name}}", "Sam"))
    assert len(sample_desk.view(c.id, c.token).messages) == before + 1


def test_a_resolution_the_knowledge_base_lacked_becomes_a_candidate_article(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk)
    gap = sample_desk.send(c.id, c.token, OUT_OF_SCOPE).handoff.case_id  # type: ignore[union-attr]
    sample_desk.agents.claim(gap, "alice")
    resolved = sample_desk.agents.resolve(
        gap, "alice", "Pointed them to Da Enzo al 29 in Trastevere; we do not review restaurants."
    )
    assert CANDIDATE_TAG in resolved.tags
    # Proposed for the knowledge base, where it goes only once an agent approves it.
    assert resolved.kb.status == "candidate" and resolved.kb.reviewed_by == "answerdesk"
    assert [c.id for c in sample_desk.store.kb_cases()] == [gap]

    # A resolution that repeats the help center is not new knowledge.
    d = chat(sample_desk)
    known = sample_desk.send(d.id, d.token, "I need a human, now").handoff.case_id  # type: ignore[union-attr]
    sample_desk.agents.claim(known, "bob")
    again = sample_desk.agents.resolve(
        known, "bob", "Explained how to turn on two-factor authentication in Settings → Security."
    )
    assert CANDIDATE_TAG not in again.tags and again.kb.status == "none"


def test_when_the_assistant_fails_the_conversation_is_handed_off_with_a_full_summary(
    sample_desk: HelpDesk,
) -> None:
    from tests.assistant.handoff.test_summary import SECTIONS

    c = chat(sample_desk)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    # The failed turn had already stored the customer's message: it is not stored twice.
    sample_desk.store.add_message(c.id, "customer", "Why is my VAT report empty?")
    turn = sample_desk.hand_off_unavailable(c.id, "Why is my VAT report empty?", since)
    assert turn.action == "handoff" and turn.reasons == ["backend_unavailable"]
    speakers = [m.speaker for m in sample_desk.view(c.id, c.token).messages]
    assert speakers == ["customer", "assistant"]
    summary = sample_desk.agents.case(turn.handoff.case_id).summary  # type: ignore[union-attr]
    assert set(summary) == SECTIONS and summary["issue"] == "Why is my VAT report empty?"
    # A second failure in the same conversation joins the open case.
    again = sample_desk.hand_off_unavailable(c.id, "hello?", since)
    assert again.handoff.case_id == turn.handoff.case_id  # type: ignore[union-attr]


def test_the_queue_is_most_urgent_first_and_waiting_raises_urgency(sample_desk: HelpDesk) -> None:
    from datetime import timedelta

    clock: Any = sample_desk.now  # the fixture's settable clock, shared with the store
    start = clock.at

    def hand_off(customer: Customer, minutes: int) -> int:
        clock.at = start + timedelta(minutes=minutes)
        c = chat(sample_desk, customer)
        return sample_desk.send(c.id, c.token, OUT_OF_SCOPE).handoff.case_id  # type: ignore[union-attr]

    enterprise = Customer(email="ceo@big.example", plan="enterprise", verified=True)  # signed
    routine = hand_off(Customer(), 0)
    vip = hand_off(enterprise, 5)
    assert [c.id for c in sample_desk.agents.cases()] == [vip, routine]
    later_vip = hand_off(enterprise, 240)  # the routine case has waited 4 hours by now
    assert [c.id for c in sample_desk.agents.cases()] == [vip, routine, later_vip]
    assert [c.id for c in sample_desk.agents.cases(sort="waiting")] == [routine, vip, later_vip]


def test_a_sales_lead_is_answered_routed_and_asked_how_to_follow_up(
    sample_desk: HelpDesk,
) -> None:
    c = chat(sample_desk, Customer())
    turn = sample_desk.send(c.id, c.token, "we're 80 people, how much is the Enterprise plan?")
    assert turn.action == "answer" and "policy:sales" in turn.reasons
    assert turn.handoff is not None and turn.handoff.queue == "sales"
    assert turn.asks_for == ["account"] and "our sales team" in turn.text
    summary = sample_desk.agents.case(turn.handoff.case_id).summary
    assert summary["fields"]["Team size"] == "80" and summary["missing"] == ["Account"]
    # The visitor answers while the case waits: the case's details are brought up to date.
    follow = sample_desk.send(c.id, c.token, "sure, it's dana@bigfirm.example")
    assert follow.action == "waiting"
    summary = sample_desk.agents.case(turn.handoff.case_id).summary
    assert summary["fields"]["Account"] == "dana@bigfirm.example" and summary["missing"] == []
