"""A word's rarity in the knowledge base's own texts: what tells its passages apart."""

from __future__ import annotations

from assistant.rarity import word_rarity


def test_a_words_rarity_counts_its_forms_together_and_falls_with_its_use() -> None:
    rarity = word_rarity({"receipt": 40, "receipts": 50, "black": 2, "the": 300})
    assert rarity["receipt"] < rarity["black"]  # "receipt" and "receipts": 90 uses of one word
    assert "the" not in rarity  # a stop word tells nothing apart
    assert word_rarity({}) == {}
