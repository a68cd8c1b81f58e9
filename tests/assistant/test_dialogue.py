"""What a customer's message is, and where the conversation stands: read before any decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assistant.dialogue import classify, issue_of, pending_intake
from assistant.store.protocol import Customer, StoredMessage
from assistant.triage import Triage

ANON = Customer()
AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def signals(angry: bool = False, person: bool = False) -> Triage:
    return Triage(
        angry=angry, anger=0.9 if angry else 0.0, human_requested=person,
        repeated_failure=False, policy=[], reasons=[],
    )  # fmt: skip


def customer(text: str, intent: str = "question") -> StoredMessage:
    return StoredMessage(0, "c", "customer", text, AT, kind="message", meta={"intent": intent})


def assistant(kind: str, **meta: Any) -> StoredMessage:
    return StoredMessage(0, "c", "assistant", f"({kind})", AT, kind=kind, meta=meta)


INTAKE = assistant(
    "intake",
    handoff={"reasons": ["low_confidence"], "explanation": "", "queue": "support"},
    asks_for=["error_message", "started"],
)
BANK = "hi, my bank feed stopped updating and there's a warning saying BANK-102"


def test_the_pending_intake_remembers_every_field_asked_in_this_hand_off() -> None:
    second = assistant(
        "intake",
        handoff={"reasons": ["low_confidence"], "explanation": "", "queue": "support"},
        asks_for=["account"],
    )
    pending = pending_intake([customer(BANK), INTAKE, customer("yesterday"), second])
    assert pending is not None and pending.immediate and pending.questions == 2
    assert pending.asked == ("error_message", "started", "account")


def test_a_case_opened_since_ends_the_pending_intake() -> None:
    assert pending_intake([customer(BANK), INTAKE, customer("x"), assistant("handoff")]) is None
    assert pending_intake([customer(BANK), assistant("answer")]) is None


def test_a_new_how_to_question_after_our_intake_question_is_a_question() -> None:
    pending = pending_intake([customer(BANK), INTAKE])
    said = classify("How do I forward receipts by email?", signals(), pending, ANON)
    assert said.intent == "question"


def test_details_right_after_our_intake_question_answer_it() -> None:
    pending = pending_intake([customer(BANK), INTAKE])
    assert classify("since yesterday morning", signals(), pending, ANON).intent == "intake_answer"
    given = classify("It started on Monday", signals(), pending, ANON)
    assert given.intent == "intake_answer" and given.supplies == ("started",)


def test_a_detail_given_while_the_case_waits_is_for_the_case() -> None:
    detail = "the $29 charge on 1 March, it shows twice"
    assert classify(detail, signals(), None, ANON, waiting=True).intent == "intake_answer"
    assert classify(detail, signals(), None, ANON).intent == "question"  # no case: searched
    how_to = "How do I turn on two-factor authentication?"
    assert classify(how_to, signals(), None, ANON, waiting=True).intent == "question"


def test_a_request_for_a_person_and_anger_are_read_as_such() -> None:
    assert classify("get me a human", signals(person=True), None, ANON).intent == "person"
    angry = classify(
        "This is the third time I'm asking, your product is garbage, get me a human",
        signals(angry=True, person=True),
        None,
        ANON,
    )
    assert angry.intent == "person" and angry.angry and angry.wants_person
    problem = classify(
        "My invoices won't send AGAIN, this is ridiculous", signals(angry=True), None, ANON
    )
    assert problem.intent == "question" and problem.angry


def test_the_issue_is_the_unresolved_problem_not_the_last_message() -> None:
    transcript = [
        customer(BANK),
        INTAKE,
        customer("How do I forward receipts by email?"),
        assistant("answer"),
    ]
    angry = "This is the third time I'm asking, your product is garbage, get me a human"
    assert issue_of(transcript, angry, "person") == BANK


def test_without_an_unresolved_problem_the_issue_is_the_latest_question_or_nothing() -> None:
    answered = [customer("How do I export my invoices?"), assistant("answer")]
    assert issue_of(answered, "that didn't help, get me a person", "person") == (
        "How do I export my invoices?"
    )
    assert issue_of([], "get me a human", "person") == ""
    assert issue_of([], "Can you recommend a pizza place?", "question") == (
        "Can you recommend a pizza place?"
    )
    details = [customer(BANK), INTAKE, customer("yesterday", "intake_answer"), INTAKE]
    assert issue_of(details, "owner@shop.example", "intake_answer") == BANK


def test_when_our_answers_failed_the_issue_is_the_problem_first_reported() -> None:
    bounced = "my invoice emails bounce with INV-310"
    answered = [customer(bounced), assistant("answer")]
    tried = "I fixed the address and resent it, still bounced"
    assert issue_of(answered, tried, "question", failed=True) == bounced
    assert issue_of(answered, tried, "question") == tried  # a new problem, answers not failed


def test_after_answers_a_reported_problem_is_the_issue_rather_than_the_last_how_to() -> None:
    transcript = [
        customer(BANK),
        assistant("answer"),
        customer("How do I attach a receipt to an expense?"),
        assistant("answer"),
    ]
    fed_up = "This is the third time I'm asking, your product is garbage, get me a human"
    assert issue_of(transcript, fed_up, "person") == BANK
