"""Follow-ups ("and on the Pro plan?", "it still fails") become standalone search queries."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.ports import ChatModel
from assistant.text import content_words
from assistant.types import Message, Turn
from prompts import load_prompt

_LEAD = re.compile(
    r"^(?:and|but|also|ok(?:ay)?|so|then|what about|how about|same for|what if)\b[\s,]*", re.I
)
_REFERS_BACK = re.compile(
    r"\b(?:it|that|this|they|them|those|these|there|one|same|still|again|instead|either)\b|"
    r"\b(?:did(?:n'?t| not) (?:work|help)|does(?:n'?t| not) work)\b",
    re.I,
)

# A person named by a pronoun before any noun could name them ("her name is greyed out",
# "and he still gets the report") is the one the conversation was about; "my accountant says
# he can't sign in" names its own.
_PERSON_BACK = re.compile(r"^(?:\S+\s+)?(?:he|she|him|her|his)\b", re.I)

# A consequence asked without its own condition ("would my recurring invoices be lost?",
# "will we be charged?") hangs on the change the customer just described ("thinking about going
# down to Starter"); with an "if" or "when" of its own it stands alone.
_CONSEQUENCE = re.compile(
    r"^(?:would|will|wouldn'?t|won'?t)\s+(?:i|we|you|my|our|it|they|that|this|the|all|any)\b",
    re.I,
)
_CONDITION = re.compile(r"\b(?:if|when|after|once|unless)\b", re.I)

# A how-to question of its own after the lead word ("ok and how do I add my logo to invoices?")
# is a new question, not a detail of the last one: it names its task. Other questions lean on
# the last one for their subject ("and what's the rate limit on the Pro plan?": of the API).
_ASKS = re.compile(r"^(?:how (?:do|can|should|would) (?:i|we)|where (?:do|can) (?:i|we))\b", re.I)


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    if not any(t.speaker == "user" for t in history):
        return False
    words = content_words(question)
    rest = question.strip()
    while _LEAD.match(rest) and _LEAD.sub("", rest) != rest:  # "ok and …", "so then …"
        rest = _LEAD.sub("", rest)
    standalone = (
        bool(_ASKS.match(rest)) and len(content_words(rest)) >= 3 and not _REFERS_BACK.search(rest)
    )
    return (
        (bool(_LEAD.match(question.strip())) and not standalone)
        or (
            len(words) <= 6
            and bool(
                _REFERS_BACK.search(question)
                or _PERSON_BACK.match(rest)
                or (_CONSEQUENCE.match(rest) and not _CONDITION.search(rest))
            )
        )
        or len(words) <= 2
    )


def condense_fallback(question: str, history: Sequence[Turn]) -> str:
    """Deterministic: the last user question gives the topic, the follow-up the new detail."""
    if not is_follow_up(question, history):
        return question
    previous = next(t.text for t in reversed(history) if t.speaker == "user")
    detail = _LEAD.sub("", question.strip())
    return f"{previous.strip()} {detail}".strip()


def condense(question: str, history: Sequence[Turn], model: ChatModel | None) -> str:
    if not is_follow_up(question, history):
        return question
    if model is not None:
        prompt = load_prompt("condense")
        transcript = "\n".join(f"{t.speaker}: {t.text}" for t in history[-6:])
        try:
            rewritten = model.complete(
                [Message("user", prompt.render(history=transcript, question=question))], 80
            )
        except Exception:  # the fallback is always good enough to search with
            rewritten = None
        if rewritten and 3 <= len(rewritten) <= 400:
            return rewritten.strip().strip('"')
    return condense_fallback(question, history)
