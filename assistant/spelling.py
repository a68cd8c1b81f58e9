"""Spelling: a customer's typo becomes the knowledge base's word before anything is searched.

"how often does it pull in new transactons" matches no keyword "transactions", and the embedder
reads the misspelling as other word pieces, so the FAQ that answers it is not found. A word is
corrected only when it is neither English nor a word of the knowledge base, and only to a word
the knowledge base itself uses, one edit away (a letter missing, extra or wrong, or two letters
swapped) with the same first letter; among several, the one it uses most. So the vocabulary is
the customer's own: their product names are known words ("Zapier" is no typo, and "zappier"
becomes it), and a word the content never uses is left as typed, since no correction could help
the search find it.

The vocabulary (each word of the indexed texts and how often it occurs) is counted when the
keyword index is built and kept with it: one file per index version, which every node loads.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from spellchecker import SpellChecker

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’])*[^\W\d_]")
# A token that is part of an address, a path or a code is never a typo: "ourcompany.com".
_VERBATIM = re.compile(r"@|://|\w[./\\]\w|\d")
MIN_LENGTH = 4  # shorter words have too many neighbours one edit away to guess from


def count_words(texts: Iterable[str]) -> Counter[str]:
    """Each lower-cased word of `texts` and how often it occurs: the knowledge base's
    vocabulary, the only words a typo is corrected to."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(word.lower() for word in _WORD.findall(text))
    return counts


@functools.cache
def _english() -> SpellChecker:
    # The dictionary bundled with pyspellchecker: only to know that a word is a word.
    return SpellChecker(language="en", distance=1)


def is_known(word: str, vocabulary: Mapping[str, int]) -> bool:
    """A word of the knowledge base or of English, or the plural or possessive of one."""
    word = word.replace("’", "'")
    forms = (word, word.removesuffix("s"), word.removesuffix("'s"))
    return any(w in vocabulary or w in _english() for w in forms)


def correction(word: str, vocabulary: Mapping[str, int]) -> str | None:
    """The knowledge base's word that `word` misspells, or None when it is a word (English or
    the knowledge base's) or no word of the knowledge base is one edit away."""
    lowered = word.lower()
    if len(lowered) < MIN_LENGTH or is_known(lowered, vocabulary):
        return None
    # A typo rarely changes the first letter; a name the dictionary lacks often sits one first
    # letter away from a word ("gmail", "email"): that letter is kept.
    candidates = [
        c
        for c in _english().edit_distance_1(lowered)
        if len(c) >= MIN_LENGTH and c[0] == lowered[0] and vocabulary.get(c, 0) > 0
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda c: (vocabulary[c], c))
    return best.upper() if word.isupper() else best.capitalize() if word[0].isupper() else best


def correct(text: str, vocabulary: Mapping[str, int]) -> str:
    """`text` with each misspelled word replaced by the knowledge base's word; unchanged when the
    vocabulary is empty (an index built before it was counted)."""
    if not vocabulary:
        return text

    def fix_token(token: re.Match[str]) -> str:
        if _VERBATIM.search(token.group()):
            return token.group()
        return _WORD.sub(lambda w: correction(w.group(), vocabulary) or w.group(), token.group())

    return re.sub(r"\S+", fix_token, text)


def warm_up() -> None:
    """Load the dictionary now (half a second) rather than in a customer's first turn."""
    _english()
