"""A follow-up becomes a standalone query; a new question after a lead word stays itself."""

from __future__ import annotations

import pytest

from assistant.condense import condense_fallback, is_follow_up
from assistant.types import Turn

HISTORY = [Turn("user", "How do I create an API key?"), Turn("assistant", "Go to Settings.")]


@pytest.mark.parametrize(
    "question",
    [
        "and on the Pro plan?",
        "what about Android?",
        "and what's the rate limit on the Pro plan?",  # of the API: it leans on the question
        "and how do I do that on Android?",
        "it still fails",
    ],
)
def test_a_follow_up_is_read_with_the_question_before_it(question: str) -> None:
    assert is_follow_up(question, HISTORY)
    assert condense_fallback(question, HISTORY).startswith("How do I create an API key?")


@pytest.mark.parametrize(
    "question",
    ["ok and how do I put my logo on invoices?", "so where do I find the VAT report?"],
)
def test_a_how_to_question_of_its_own_after_a_lead_word_is_a_new_question(question: str) -> None:
    assert not is_follow_up(question, HISTORY)
    assert condense_fallback(question, HISTORY) == question


def test_the_first_message_is_never_a_follow_up() -> None:
    assert not is_follow_up("and on the Pro plan?", [])


OWNER = [Turn("user", "I want to make our practice manager the owner"), Turn("assistant", "…")]


@pytest.mark.parametrize(
    ("question", "follows"),
    [
        ("her name is greyed out in the list, she is an admin", True),
        ("and he still gets the emails", True),
        # The pronoun's person is named in the message itself: a question of its own.
        ("my accountant says he cant sign in to tallybook at all", False),
    ],
)
def test_a_person_named_only_by_a_pronoun_is_the_one_the_conversation_was_about(
    question: str, follows: bool
) -> None:
    assert is_follow_up(question, OWNER) is follows


DOWNGRADE = [Turn("user", "thinking about going down to starter"), Turn("assistant", "…")]


@pytest.mark.parametrize(
    ("question", "follows"),
    [
        ("would my recurring invoices be lost?", True),
        ("will we be charged for the rest of the month?", True),
        # The condition is in the message itself: a question of its own.
        ("would I lose my invoices if I cancel?", False),
        ("will recurring invoices stop once I downgrade?", False),
    ],
)
def test_a_consequence_asked_without_its_condition_hangs_on_the_change_just_described(
    question: str, follows: bool
) -> None:
    assert is_follow_up(question, DOWNGRADE) is follows
    if follows:
        assert condense_fallback(question, DOWNGRADE).startswith("thinking about going down")
