"""Underspecified questions: which references count as unnamed, and what the customer is asked."""

from __future__ import annotations

import pytest

from assistant.clarify import clarifying_question, unresolved, vague_reference


@pytest.mark.parametrize(
    ("question", "reference"),
    [
        ("Does this plan include recurring invoices?", "this plan"),
        ("how much does that add-on cost", "that add-on"),
        ("is this particular index fund liquid?", "this index"),
        ("Can I export those reports to PDF?", "those reports"),
        ("Does it work offline?", "it"),
        ("They charged me twice", "it"),
        ("it says limit reached", "it"),
    ],
)
def test_references_to_something_never_named(question: str, reference: str) -> None:
    assert vague_reference(question) == reference


@pytest.mark.parametrize(
    "question",
    [
        "How do I connect my bank account?",
        "Is this the right place to ask about invoices?",
        "That is not what I asked: how do I export VAT?",
        "What does PAY-402 mean?",
        "Can Stripe pay it out to my bank?",  # a named subject: "it" has something to point at
        "can a client get their own login to see the invoices",
        "we're on the Business plan if that matters",
        "We're on the Business plan: does this plan include SSO?",  # named in the same message
        "ok so how much more per month would that be? we're 9 people",
        "A client cancelled 2 of 10 sessions on an invoice they had already paid, and I refunded "
        "EUR 100 by bank transfer. How do I record this refund so the invoice is right?",
    ],
)
def test_questions_that_name_their_subject(question: str) -> None:
    assert vague_reference(question) is None


def test_a_pronoun_after_earlier_messages_refers_to_them() -> None:
    assert vague_reference("does it work offline?", ["tell me about the mobile app"]) is None


def test_a_reference_is_resolved_only_by_an_earlier_mention_of_its_noun() -> None:
    assert unresolved("this plan", ["what does the Pro plan cost?"]) is False
    assert unresolved("this plan", ["how do I add a user?"]) is True
    assert unresolved("it", []) is False


def test_the_clarifying_question_uses_the_customers_own_noun() -> None:
    assert clarifying_question("this plan").startswith("Which plan do you mean?")
    assert "what exactly" in clarifying_question("it")
