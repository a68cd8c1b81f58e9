"""Case intake: the details a person needs, read from the customer's words, and the questions."""

from __future__ import annotations

import pytest

from assistant.handoff.intake import (
    MAX_QUESTIONS,
    REQUIRED,
    assess,
    collect,
    may_ask,
    question,
)
from assistant.store.protocol import Customer

ANON = Customer()


def test_every_category_declares_fields_that_exist() -> None:
    from assistant.handoff.intake import FIELDS

    assert {f for fields in REQUIRED.values() for f in fields} <= FIELDS.keys()
    assert {"refund", "billing_dispute", "cancellation", "security_incident", "legal"} <= set(
        REQUIRED
    )


def test_a_reported_problem_needs_account_area_error_and_start() -> None:
    intake = assess([], ["My invoices stopped sending"], ANON)
    assert intake.category == "problem"
    assert intake.found["product_area"] == "invoicing"
    assert set(intake.missing) == {"account", "error_message", "started"}


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("it's ana.k@example.org", "account", "ana.k@example.org"),
        ("workspace id: TB-88412", "account", "TB-88412"),
        ('it says "Sync failed: token expired"', "error_message", "Sync failed: token expired"),
        ("error code BANK-102 on the feed", "error_message", "BANK-102"),
        ("there is no error message, it just spins", "error_message", "no error message shown"),
        ("my invoice emails bounce with INV-310", "error_message", "INV-310"),
        ("it started yesterday after lunch", "started", "it started yesterday after lunch"),
        ("since 3 days ago nothing syncs", "started", "since 3 days ago nothing syncs"),
        ("you charged me $49.00 on March 3", "charge", "you charged me $49.00 on March 3"),
        ("we are a 80 person team", "seats", "80"),
        ("pricing for 120 seats", "seats", "120"),
    ],
)  # fmt: skip
def test_details_are_read_from_the_customers_words(text: str, field: str, value: str) -> None:
    assert collect([text], ANON)[field] == value


def test_a_number_is_not_an_error_code() -> None:
    assert "error_message" not in collect(["can I send 250 invoices a month?"], ANON)


def test_the_widget_context_counts_and_the_latest_statement_wins() -> None:
    customer = Customer(email="owner@shop.example", product_area="banking")
    found = collect(["my email is old@x.example"], customer)
    assert found["account"] == "owner@shop.example"
    assert found["product_area"] == "banking"
    assert collect(["email a@x.example", "sorry, it's b@x.example"], ANON)["account"] == (
        "b@x.example"
    )


def test_nothing_is_found_where_nothing_was_said() -> None:
    assert collect(["hello, I have a question about reports"], ANON).keys() == {"product_area"}


def test_a_policy_names_the_category_and_its_fields() -> None:
    intake = assess(["refund"], ["refund my last charge please"], Customer(email="a@b.example"))
    assert (intake.category, intake.missing) == ("refund", ("charge",))


def test_out_of_scope_questions_need_nothing_before_a_person_replies() -> None:
    intake = assess([], ["can you recommend a pizza place in Rome?"], ANON)
    assert intake.category == "general"
    assert intake.complete


def test_at_most_two_questions_and_none_for_angry_or_human_requests() -> None:
    assert may_ask(["low_confidence"], 0)
    assert may_ask(["low_confidence"], MAX_QUESTIONS - 1)
    assert not may_ask(["low_confidence"], MAX_QUESTIONS)
    assert not may_ask(["angry"], 0)
    assert not may_ask(["human_requested", "low_confidence"], 0)
    assert not may_ask(["backend_unavailable"], 0)


def test_one_short_question_asks_for_two_details_at_most() -> None:
    text = question(["account", "error_message", "started"], 0)
    assert text.count("?") == 1
    assert "email address" in text and "exact error message" in text
    assert "when it started" not in text
    assert question(["started"], 1).startswith("Thanks. One more thing")
    assert "our billing team" in question(["charge"], 0, "billing")
