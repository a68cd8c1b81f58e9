"""What a question asks, and how well a unit of a passage says it.

A question's words weigh by what they tell apart: an amount, an error code or a figure more than
an everyday word, our synonyms less than the customer's own words, and a word this knowledge
base rarely uses more than one on every page (`rarities`). It also asks for a kind of
answer (a price, a time, a number, steps), and a unit shows that kind by its form ("$29", "3
business days", a numbered list). A unit scores by the weighted words and kinds it has, by the
words of its section's title it echoes, and by the rank of the passage it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.backends.extractive_units import Unit
from assistant.text import CODE, PROBLEM, content_words, expand

_HEADER = 0.5  # a FAQ answer or a case resolution matches the question it answers, at this weight
_PASSAGE_PRIOR = (0.35, 0.15, 0.05)
ASKS_HOW = "<steps>"  # the question asks how to do something, or where it is
STEPS = "<list>"  # a list of steps answers it: asked how, or told of a problem or an error
_META = re.compile(r"\bthis (?:article|guide|page)\b|\bsee (?:below|above)\b", re.I)


# What kind of answer a question asks for, and the sign of it in a sentence.
_INTENTS = (
    (
        re.compile(r"\bhow much\b|\bcost|\bpric|\bfee\b|\bcharge", re.I),
        "<money>",
        re.compile(r"[$€£]\s?\d"),
    ),
    (
        re.compile(
            r"\bhow (?:long|soon|often)\b|^when\b|\bwhen (?:do|does|did|will|is|are|can|should)\b"
            r"|\bdeadline|\bexpire",
            re.I,
        ),
        "<time>",
        re.compile(r"\b\d+\s?(?:-\s?)?(?:day|hour|minute|week|month|year|business day)s?\b", re.I),
    ),
    (re.compile(r"\bhow (?:many|much)\b|\blimit|\bmax", re.I), "<number>", re.compile(r"\d")),
    (
        re.compile(
            r"\bhow (?:do|can|to|should)\b|\bwhere (?:do|can|is)\b|\bsteps?\b|\bset ?up\b", re.I
        ),
        ASKS_HOW,
        re.compile(r"^\s*(?:\d+[.)]|[-*+])\s|→", re.M),
    ),
)


def weights_of(query: str) -> dict[str, float]:
    words = content_words(query)
    codes = {c.lower() for c in CODE.findall(query)}
    weights = {w: 2.5 if (w in codes or _telling_number(w)) else 1.0 for w in words}
    for word in content_words(expand(query)):
        weights.setdefault(word, 0.8)
    for asks, token, _ in _INTENTS:
        if asks.search(query):
            weights[token] = 1.5
    if ASKS_HOW in weights or codes or PROBLEM.search(query):
        # …and a list of steps answers it better than a path alone; for an error, it is the fix
        weights[STEPS] = 1.0
    return weights


# What the customer says they have done already ("I deleted…", "we've uploaded…", "I did the
# reconnect"): its steps are not the answer.
_DONE = re.compile(r"\b(?:i|we)(?:'ve| have)?\s+(?:already\s+)?(?:did the\s+(\w+)|(\w+ed))\b", re.I)


def already_done(question: str) -> set[str]:
    """The tasks the customer says they have done, as content words."""
    return {
        word
        for match in _DONE.finditer(question)
        for word in content_words(match.group(1) or match.group(2))
    }


def rarities(weights: Mapping[str, float], rarity: Mapping[str, float]) -> dict[str, float]:
    """How much each of the question's words tells apart in this knowledge base, relative to
    the question's other words (their mean is 1): "receipt" in a help center about receipts
    says less than "black" or "screen". `rarity`: each word's rarity in the indexed texts;
    a word the texts never use keeps 1 (it matches nothing anyway)."""
    known = [rarity[t] for t in weights if t in rarity]
    if not known:
        return {}
    mean = sum(known) / len(known)
    return {t: rarity[t] / mean for t in weights if t in rarity} if mean > 0 else {}


def _telling_number(word: str) -> bool:
    """An amount, a code or a figure ("$8.50", "410", "45") tells a passage apart; a single
    digit is mostly a count ("2-3 times", "3 days") that any passage may mention."""
    return word[0] == "$" or (word[0].isdigit() and len(word) > 1)


def _signals(text: str) -> set[str]:
    return {token for _, token, shows in _INTENTS if shows.search(text)}


def score(
    unit: Unit,
    weights: dict[str, float],
    context: set[str],
    rare: Mapping[str, float] | None = None,
) -> float:
    """`rare`: the question's words' relative rarity (`rarities`); none: every word alike."""
    words = content_words(unit.text)
    present = set(words) | _signals(unit.text)
    rare = rare or {}
    overlap = sum(w * rare.get(t, 1.0) for t, w in weights.items() if t in present)
    topical = sum(
        w * rare.get(t, 1.0) for t, w in weights.items() if t in context and t not in present
    )
    if unit.kind in {"answer", "note"}:  # a FAQ's or a case's answer also matches by its question
        overlap, topical = overlap + _HEADER * topical, 0.0
    if overlap == 0 or _META.search(unit.text):
        return 0.0  # "this guide explains…" answers nothing
    topical *= 0.3
    # Long units match more words by chance: discount beyond a sentence's usual length.
    length = 1.0 + 0.015 * max(0, len(words) - 20)
    if unit.kind == "steps" and STEPS not in weights:
        length *= 1.5  # a list of steps answers "how do I"; otherwise it is mostly noise
    prior = _PASSAGE_PRIOR[unit.passage - 1] if unit.passage <= len(_PASSAGE_PRIOR) else 0.0
    position = 0.1 if unit.position == 0 else 0.0
    return (overlap + topical) / length + prior + position


def _terms(units: Sequence[Unit]) -> set[str]:
    text = " ".join(u.text for u in units)
    steps = {STEPS} if any(u.kind == "steps" for u in units) else set()
    return set(content_words(text)) | _signals(text) | steps


def covered(weights: dict[str, float], units: Sequence[Unit]) -> float:
    """How much of what the customer asked (their own words, the kind of answer) `units` say."""
    said = _terms(units)
    return sum(w for t, w in weights.items() if t in said and w >= 1.0)
