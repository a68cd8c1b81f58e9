"""Specification of assistant.redaction's two policies and of what the store applies where.

The rules themselves are specified in tests/ingest/test_redact.py (ingest re-exports them);
here: people who introduce themselves, what text written to customers keeps, JSON values.
"""

from __future__ import annotations

import pytest

from assistant.redaction import redact_secrets, redact_text, redact_tree
from assistant.store import privacy

# (what a customer writes, what is stored)
INTRODUCTIONS = [
    (
        "Hi, I'm Maria Kowalska. Kowalska is on the invoice",
        "Hi, I'm [NAME]. [NAME] is on the invoice",
    ),
    ("I am Piotr Zieliński, the owner", "I am [NAME], the owner"),
    ("Her name is Jana Svoboda", "Her name is [NAME]"),
    ("my name's Oluwaseun", "my name's [NAME]"),
    ("Hello, this is Tom Becker from Becker Joinery", "Hello, this is [NAME] from [NAME] Joinery"),
    ("Call me Zofia, please", "Call me [NAME], please"),
    ("It still fails.\n\nCheers,\nMaria Kowalska", "It still fails.\n\nCheers,\n[NAME]"),
]

# Ordinary sentences that start like an introduction.
STAY = [
    "I'm getting an error when I export invoices",
    "I'm Unable to sign in since Monday",
    "I'm on the Pro plan and I'm using Chrome",
    "I am the owner, Tallybook says I'm not.",
    "Call me tomorrow; this is Pro plan stuff",
    "I'm Sorry, I'm New here",
]


@pytest.mark.parametrize(("text", "expected"), INTRODUCTIONS)
def test_people_who_introduce_themselves_are_redacted(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", STAY)
def test_sentences_that_only_look_like_introductions_stay(text: str) -> None:
    assert redact_text(text) == text


def test_everything_goes_from_customer_text() -> None:
    text = (
        "I'm Maria Kowalska, maria@bakery.example, +44 20 7946 0958. Card 4111 1111 1111 1111, "
        "IBAN DE89 3704 0044 0532 0130 00, my password is Hunter2-Secret!"
    )
    assert redact_text(text) == (
        "I'm [NAME], [EMAIL], [PHONE]. Card [CARD], IBAN [IBAN], my password is [SECRET]"
    )


def test_text_written_to_customers_keeps_contact_details_and_names() -> None:
    reply = (
        "Hi Maria, write to billing@tallybook.example or call +44 20 7946 0958; allow "
        "203.0.113.7. Your card 4111 1111 1111 1111 and key sk_live_51Habcdefghijklmnop are safe."
    )
    assert redact_secrets(reply) == (
        "Hi Maria, write to billing@tallybook.example or call +44 20 7946 0958; allow "
        "203.0.113.7. Your card [CARD] and key [SECRET] are safe."
    )


def test_every_string_of_a_json_value_is_redacted_and_nothing_else_changes() -> None:
    value = {
        "issue": "card 4111 1111 1111 1111",
        "lines": [{"text": "pw: Tr0ub4dor&3", "n": 2}, ("SSN 536-90-4399", None)],
        "confidence": 0.4,
        "4111 1111 1111 1111": True,  # keys are the program's, never the customer's
    }
    assert redact_tree(value) == {
        "issue": "card [CARD]",
        "lines": [{"text": "pw: [SECRET]", "n": 2}, ("SSN [NATIONAL_ID]", None)],
        "confidence": 0.4,
        "4111 1111 1111 1111": True,
    }


def test_a_summary_keeps_contacts_only_for_the_account_and_the_help_center() -> None:
    summary = {
        "customer": {"email": "maria@bakery.example", "plan": "pro"},
        "issue": "I'm Maria Kowalska, maria@bakery.example, card 4111 1111 1111 1111",
        "fields": {"Account": "maria@bakery.example", "Error message": "pw: Tr0ub4dor&3"},
        "draft_reply": "Write to billing@tallybook.example with card 4111 1111 1111 1111",
        "a_later_field": "call +44 20 7946 0958",
    }
    assert privacy.summary(summary) == {
        "customer": {"email": "maria@bakery.example", "plan": "pro"},
        "issue": "I'm [NAME], [EMAIL], card [CARD]",
        "fields": {"Account": "maria@bakery.example", "Error message": "pw: [SECRET]"},
        "draft_reply": "Write to billing@tallybook.example with card [CARD]",
        "a_later_field": "call [PHONE]",
    }


@pytest.mark.parametrize(
    ("speaker", "expected"),
    [
        ("customer", "[EMAIL] card [CARD]"),
        ("note", "[EMAIL] card [CARD]"),
        ("agent", "billing@tallybook.example card [CARD]"),
        ("assistant", "billing@tallybook.example card [CARD]"),
    ],
)
def test_messages_are_redacted_for_who_wrote_them(speaker: str, expected: str) -> None:
    text = "billing@tallybook.example card 4111 1111 1111 1111"
    assert privacy.message_text(speaker, text) == expected
