"""Spelling: a typo becomes the knowledge base's word; words, names and addresses stay."""

from __future__ import annotations

from assistant.spelling import correct, correction, count_words

VOCABULARY = count_words(
    [
        "Transactions sync every 4 hours. Transactions from a bank appear once posted.",
        "Connect Zapier under Settings → Integrations. Zapier triggers on paid invoices.",
        "Your workspace has one owner. Invite your clients to the client portal.",
        "Add a PIN to the mobile app. The PIN is four digits.",
    ]
)


def test_the_vocabulary_counts_each_word_of_the_indexed_texts() -> None:
    assert VOCABULARY["transactions"] == 2 and VOCABULARY["zapier"] == 2
    assert "4" not in VOCABULARY and "→" not in VOCABULARY


def test_a_typo_becomes_the_knowledge_bases_word_one_edit_away() -> None:
    assert correction("transactons", VOCABULARY) == "transactions"  # a letter missing
    assert correction("worksapce", VOCABULARY) == "workspace"  # two letters swapped
    assert correction("clents", VOCABULARY) == "clients"
    # A product name no dictionary knows is a word of this knowledge base, so a target.
    assert correction("zappier", VOCABULARY) == "zapier"
    assert correction("Zappier", VOCABULARY) == "Zapier"


def test_words_are_never_corrected_even_when_the_knowledge_base_has_a_neighbour() -> None:
    assert correction("ping", VOCABULARY) is None  # English, though "pin" is one edit away
    assert correction("zapier", VOCABULARY) is None  # the knowledge base's own word
    assert correction("nordea", VOCABULARY) is None  # unknown, but nothing here is close
    assert correction("client’s", VOCABULARY) is None  # a possessive, a curly apostrophe
    assert correction("Zapier’s", VOCABULARY) is None
    assert correction("pins", VOCABULARY) is None  # a plural


def test_a_name_one_first_letter_from_a_word_is_not_that_word() -> None:
    assert correction("gmail", count_words(["Forward it from your email."])) is None


def test_a_short_word_is_not_guessed_at() -> None:
    assert correction("teh", count_words(["the fix"])) is None  # too many neighbours
    assert correction("becuase", count_words(["because"])) == "because"


def test_a_question_is_corrected_word_by_word_and_addresses_stay_as_typed() -> None:
    question = "how often do transactons sync? mail me at worksapce@clents.com or see worksapce.io"
    assert correct(question, VOCABULARY) == (
        "how often do transactions sync? mail me at worksapce@clents.com or see worksapce.io"
    )
    assert correct("Zappier dosent fire for my clents!", VOCABULARY) == (
        "Zapier dosent fire for my clients!"
    )


def test_without_a_vocabulary_nothing_changes() -> None:
    assert correct("how often do transactons sync", {}) == "how often do transactons sync"
