"""The words that carry meaning: what lexical matching (composing, grounding, coverage) compares."""

from __future__ import annotations

from assistant.text import content_words


def test_words_are_lower_cased_stemmed_and_stop_words_dropped() -> None:
    assert content_words("How do I connect the connections?") == ["connect", "connect"]


def test_amounts_and_codes_stay_whole() -> None:
    assert content_words("BANK-102 after paying $1,200.50") == ["bank-102", "pay", "$1200.50"]


def test_a_hyphenated_compound_matches_the_words_typed_apart() -> None:
    assert content_words("Two-factor authentication") == content_words("two factor authentication")
    assert content_words("multi-currency invoices") == content_words("multi currency invoices")


def test_a_compound_with_a_number_is_one_name() -> None:
    assert content_words("the tb-401 error") == ["tb-401", "error"]
