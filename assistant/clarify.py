"""Underspecified questions: ask which one the customer means instead of guessing or handing off.

"Does this plan include it?" or "when was the product launched?" point at something the
conversation never named. When the assistant is not sure of its answer and the question leans
on such a reference, the useful reply is a short clarifying question, not a hand-off: a person
would have to ask the same thing first.

Only general cues of English are used (a demonstrative before a noun, a pronoun with nothing
said before it), never the words of a particular knowledge base.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.text import stem

# "this plan", "that error", "these invoices", "those two accounts" — but not "this is",
# "that means", "is that right".
_DEMONSTRATIVE = re.compile(
    r"\b(this|that|these|those)\s+(?:(?:particular|same|specific|new|old|other|famous|whole|"
    r"exact|current|previous|last|first|second|third|great|big|small|one of)\s+)*"
    r"(?!(?:is|was|are|were|has|have|had|does|do|did|will|would|can|could|should|may|might|"
    r"must|means?|meant|be|been|being|matters?|works?|helps?|says?|said|seems?|sounds?|"
    r"one|ones|way|time|much|many|far|long|year|week|month|day|morning|"
    r"evening|afternoon|night|case|point|happens?|happened|i|you|we|they|he|she|it|the|a|an|"
    r"to|and|or|but|if|in|on|of|for|with|by)\b)([a-z][a-z'-]+)",
    re.IGNORECASE,
)
_PRONOUN_START = re.compile(
    r"^\W*(?:(?:and|but|so|ok|okay|also|then|what about|how about)\W+)*"
    r"(?:(?:(?:how|why|when|where|what)\s+)?(?:does|do|did|is|are|was|were|will|can|could|"
    r"would|should|has|have|much does|long does|often does)\s+)?"
    r"(?:it|they|them|he|she|his|her|its|their)\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[a-z][a-z'-]+")
MAX_WORDS = 20


def vague_reference(question: str, earlier: Sequence[str] = ()) -> str | None:
    """The thing the question points at without naming it ("this plan"), or None.

    `earlier` are the conversation's earlier messages. A pronoun counts only when it opens the
    conversation ("it says limit reached"): anywhere else it points at something just said.
    A long message describes its situation: it is never read as underspecified.
    """
    if len(question.split()) > MAX_WORDS:
        return None
    if (match := _DEMONSTRATIVE.search(question)) and not _named(
        match.group(2), [question[: match.start()]]
    ):
        return f"{match.group(1).lower()} {match.group(2).lower()}"
    if not earlier and _PRONOUN_START.match(question):
        return "it"
    return None


def unresolved(reference: str, earlier: Sequence[str]) -> bool:
    """ "this plan" when no plan was mentioned before: nothing in the conversation names it."""
    return " " in reference and not _named(reference.split()[-1], earlier)


def _named(noun: str, texts: Sequence[str]) -> bool:
    head = stem(noun.lower())
    return any(head in {stem(w) for w in _WORDS.findall(text.lower())} for text in texts)


def clarifying_question(reference: str) -> str:
    """A short question back, in the customer's own terms."""
    if reference == "it":
        return (
            "I want to make sure I look up the right thing: what exactly are you asking about? "
            "A name, a product or an error message helps."
        )
    noun = reference.split(" ", 1)[1] if " " in reference else reference
    return (
        f"Which {noun} do you mean? Tell me its name (or paste what you see) and I'll look it up."
    )
