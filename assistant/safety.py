"""Retrieved text is data, not instructions.

Knowledge-base articles and (especially) customer cases can contain text aimed at the model:
"ignore previous instructions…". Such sentences are removed from passages before any backend
sees them, so neither an LLM nor the extractive composer can pass them on; the system prompt
also tells LLMs to treat passages as data. Detection is deliberately broad: a false positive
costs one sentence of context, a miss can cost the conversation.
"""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}"
    r"\b(?:instructions?|prompts?|rules|guidelines|directions)\b"
    r"|\b(?:you are now|act as|pretend to be|from now on,? you)\b"
    r"|\b(?:system prompt|developer mode|jailbreak)\b"
    r"|\b(?:reply|respond|answer|say)\s+(?:only|exactly)\s+with\b"
    r"|\bas an ai\b|\blanguage model\b|<\|?\s*/?\s*(?:system|assistant|im_start|im_end)\b",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def strip_injections(text: str) -> str:
    """The text without the sentences that address a model instead of a customer."""
    if not _INJECTION.search(text):
        return text
    kept = [s for s in _SENTENCE.findall(text) if s and not _INJECTION.search(s)]
    return "".join(kept).strip()
