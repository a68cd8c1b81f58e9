"""Check that each answer sentence is supported by the passage it cites; fix the citations.

A sentence is supported when most of its meaning-carrying words, and all of its numbers and
error codes, appear in the cited passage. Markers that point at no retrieved passage are
removed; a sentence without a marker is attributed to the passage that supports it; an
unsupported sentence is dropped. Citations are renumbered in order of first use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.safety import strip_injections
from assistant.text import CODE, content_words, numbers, plain
from assistant.types import Citation, Passage

_MARKER = re.compile(r"\s?\[(\d+)\]")
_SENTENCE = re.compile(r"(?<=[.!?\]])\s+(?=[A-Z\"'(])")
# Our own connective phrases are not claims about the product.
_LEAD_IN = re.compile(r"^(?:In a similar case[^:]*:|Here's how:|Also,)\s*", re.I)
_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")
SUPPORT_SHARE = 0.6


@dataclass(frozen=True)
class Grounding:
    text: str
    citations: list[Citation]
    grounded_share: float  # supported claims / all claims (1.0 when there are none)
    claims: int
    dropped: int


def supports(claim: str, passage: Passage) -> bool:
    words = set(content_words(claim))
    source = passage.text + " " + passage.title
    if not words:
        return True
    present = set(content_words(source))
    share = len(words & present) / len(words)
    facts_ok = numbers(claim) <= numbers(source) and set(CODE.findall(claim)) <= set(
        CODE.findall(source)
    )
    return share >= SUPPORT_SHARE and facts_ok


def snippet(passage: Passage, size: int = 220) -> str:
    text = plain(strip_injections(passage.chunk.text))
    return text if len(text) <= size else text[: size - 1].rsplit(" ", 1)[0] + "…"


def check(text: str, passages: Sequence[Passage], drop_unsupported: bool = True) -> Grounding:
    valid = range(1, len(passages) + 1)
    kept: list[tuple[str, bool]] = []
    claims = supported = 0
    for raw, starts_line in _claims(text):
        claim_text = _MARKER.sub("", raw).strip()
        lead_in = _LEAD_IN.match(claim_text)
        prefix = lead_in.group(0) if lead_in else ""
        claim_text = claim_text[len(prefix) :]
        if not claim_text:
            continue
        if claim_text.endswith(":"):
            kept.append(((prefix + claim_text).strip(), starts_line))  # connective, not a claim
            continue
        if len(content_words(claim_text)) < 2:
            continue  # a fragment ("[HACKED]", "Doc 1") carries no checkable information
        claims += 1
        cited = [int(n) for n in _MARKER.findall(raw) if int(n) in valid]
        backing = [n for n in cited if supports(claim_text, passages[n - 1])]
        if not backing:
            backing = [n for n in valid if supports(claim_text, passages[n - 1])][:1]
            if backing and _ITEM.match(claim_text):
                backing = []  # a step of a cited list: supported, and the list carries the marker
                supported += 1
                kept.append((claim_text, starts_line))
                continue
        if backing:
            supported += 1
            kept.append((prefix + claim_text + "".join(f" [{n}]" for n in backing), starts_line))
        elif not drop_unsupported:
            kept.append((prefix + claim_text, starts_line))
    body = _join(kept)
    # Renumber in order of first use, so the reader sees [1], [2], … without gaps.
    order: dict[int, int] = {}
    for n in (int(m) for m in _MARKER.findall(body)):
        order.setdefault(n, len(order) + 1)
    body = _MARKER.sub(lambda m: f" [{order[int(m.group(1))]}]", body)
    citations = [
        Citation(new, p.document_id, p.title, p.url, p.chunk.section, p.kind, snippet(p))
        for old, new in order.items()
        for p in [passages[old - 1]]
    ]
    share = supported / claims if claims else 1.0
    return Grounding(body, citations, share, claims, claims - supported)


def _claims(text: str) -> list[tuple[str, bool]]:
    """(claim, starts a line): a list item is one claim; prose is split into sentences."""
    out: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if _ITEM.match(line):
            out.append((line.strip(), True))
        else:
            out.extend((s, i == 0) for i, s in enumerate(_SENTENCE.split(line.strip())))
    return out


def _join(parts: list[tuple[str, bool]]) -> str:
    text, previous = "", ""
    for part, starts_line in parts:
        if not text:
            text = part
        elif not starts_line:
            text += " " + part
        elif _ITEM.match(part) and (_ITEM.match(previous) or previous.endswith(":")):
            text += "\n" + part  # the next step of the same list
        else:
            text += "\n\n" + part
        previous = part
    return text
