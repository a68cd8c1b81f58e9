"""Retrieved text is data, not instructions.

Knowledge-base articles and (especially) customer cases can contain text aimed at the model:
"ignore previous instructions…". Such sentences are removed from passages before any backend
sees them, so neither an LLM nor the extractive composer can pass them on; the system prompt
also tells LLMs to treat passages as data. Detection is deliberately broad: a false positive
costs one sentence of context, a miss can cost the conversation.

Every check reads a canonical form of the text — NFKC, zero-width characters dropped, common
Cyrillic and Greek look-alikes mapped to Latin — so "ign\u200bore" or a Cyrillic "о" hides
nothing; what is kept is the original text.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"))
# Letters that render like Latin ones (the usual homoglyph substitutions).
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁɡӏАВЕКМНОРСТХІЈЅαεορτυνκΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdglABEKMHOPCTXIJSaeoptuvkABEZHIKMNOPTYX",
)
_WIPE = re.compile(r"\b(?:ignore|disregard|forget|override|bypass|skip|drop|discard|abandon)\b")
_WHAT = (
    r"\b(?:instructions?|prompts?|rules|guidelines|directions|directives|commands|orders|"
    r"constraints|guardrails|polic(?:y|ies)|programming|training)\b"
)
_INJECTION = re.compile(
    _WIPE.pattern + r"[^.!?\n]{0,40}" + _WHAT
    + r"|\b(?:ignore|disregard|forget|override)\s+(?:all\s+|everything\s+|anything\s+)?"
    r"(?:that\s+|what\s+|you\s+(?:read|saw)\s+|(?:the|your)\s+)?"
    r"(?:above|before|previous(?:ly)?|prior|earlier|said before|you were told|"
    r"you(?:.ve| have) been told)\b"
    r"|\b(?:you are now|act as|pretend to be|from now on,? you|new instructions?)\b"
    r"|\b(?:system prompt|developer mode|jailbreak)\b"
    r"|\b(?:reply|respond|answer|say)\s+(?:only|exactly)\s+with\b"
    r"|\bas an ai\b|\blanguage model\b|<\|?\s*/?\s*(?:system|assistant|im_start|im_end)\b",
    re.I,
)  # fmt: skip
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


def canonical(text: str) -> str:
    """The form every check reads: compatibility-normalised, no invisible characters,
    look-alike letters as the Latin ones they imitate."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_LOOKALIKES)


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION.search(canonical(text)))


def strip_injections(text: str) -> str:
    """The text without the sentences that address a model instead of a customer."""
    if not looks_like_injection(text):
        return text
    # Sentences are cut on the original text; a zero-width character never ends a sentence.
    kept = [s for s in _SENTENCE.findall(text) if s and not looks_like_injection(s)]
    return "".join(kept).strip()
