"""How much each word tells a knowledge base's passages apart, from its own texts.

A help center about receipts says "receipt" on every page: a question's "receipt" matches
everything and decides nothing, where its "black screen" finds the one bullet about it. The
rarity of a word is measured on the customer's own index (the keyword index's word counts, kept
with each index version), so it adapts to whatever the knowledge base is about, without a word
list of ours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from assistant.text import content_words


def word_rarity(vocabulary: Mapping[str, int]) -> dict[str, float]:
    """Each content word's rarity in the indexed texts: the log of how many words the texts
    hold per use of it (stemmed forms counted together; stop words have none)."""
    counts: dict[str, int] = {}
    for word, count in vocabulary.items():
        for stemmed in content_words(word):
            counts[stemmed] = counts.get(stemmed, 0) + count
    total = sum(counts.values())
    return {w: math.log(total / c) for w, c in counts.items()} if total else {}
