"""Check that each answer sentence is supported by the passage it cites; fix the citations.

A sentence is supported when most of its meaning-carrying words, and all of its numbers and
error codes, appear in the cited passage. Markers that point at no retrieved passage are
removed; a sentence without a marker is attributed to the passage that supports it; an
unsupported sentence is dropped. Citations are renumbered in order of first use.

The answer is Markdown: a list item or a table row is one claim, and lists and tables are
joined back as lists and tables. What a passage can support is its `evidence`: an article's or
FAQ's text, but of a past case only the agent-written resolution — never the customer's words,
which are another customer's and can carry a planted "solution". A case is cited to customers
under a neutral title, with its resolution as the snippet.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from assistant.safety import strip_injections
from assistant.text import (
    CASE_NOTE_LEAD,
    CASE_TITLE,
    CODE,
    RESOLUTION_FIELD,
    RESOLUTION_VECTOR_FIELD,
    case_note,
    content_words,
    numbers,
    plain,
)
from assistant.types import Citation, Metadata, Passage

_MARKER = re.compile(r"\s?\[(\d+)\]")
_SENTENCE = re.compile(r"(?<=[.!?\]])(?<!\be\.g\.)(?<!\bi\.e\.)\s+(?=[A-Z\"'(])")
# Our own connective phrases are not claims about the product.
_LEAD_IN = re.compile(
    rf"^(?:In a similar case[^:]*:|{re.escape(CASE_NOTE_LEAD)}|Here's how:|Also,)\s*", re.I
)
_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")
_ROW = re.compile(r"\s*\|")  # a Markdown table row
_NUMBERED = re.compile(r"\s*\d+[.)]\s")
_RULE = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")  # | --- | --- |
SUPPORT_SHARE = 0.6
MORE_CHUNKS = 2  # other retrieved chunks of a passage's document an answer may also use


def resolution_of(passage: Passage) -> str:
    """A case's agent-written resolution, from its own metadata field ("" when it has none),
    cleaned of text addressed to a model like every other passage."""
    return resolution_text(passage.chunk.metadata)


def resolution_text(metadata: Metadata) -> str:
    return _clean(str(metadata.get(RESOLUTION_FIELD) or "")).strip()


def resolution_vector(passage: Passage) -> npt.NDArray[np.float32] | None:
    """The vector of `resolution_of(passage)` stored at ingest (None: embed it now)."""
    packed = passage.chunk.metadata.get(RESOLUTION_VECTOR_FIELD)
    if not isinstance(packed, str):
        return None
    return np.frombuffer(base64.b64decode(packed), dtype="<f4").astype(np.float32)


def pack_vector(vector: npt.NDArray[np.floating]) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


@lru_cache(maxsize=2048)
def _clean(text: str) -> str:
    return strip_injections(text)


def more_chunks(passage: Passage) -> list[tuple[str, str]]:
    """(heading, text) of the document's other retrieved chunks, cleaned of injections as the
    passage's own text was when it was widened."""
    chunks = [(c.section, _clean(c.text).strip()) for c in passage.more[:MORE_CHUNKS]]
    return [(section, text) for section, text in chunks if text]


def evidence(passage: Passage) -> str:
    """What a claim citing `passage` may rest on."""
    if passage.kind == "case":
        return resolution_of(passage)
    extra = [text for _, text in more_chunks(passage) if text not in passage.text]
    return "\n\n".join([passage.title, passage.text, *extra])


def told_of(case: Passage) -> str:
    """What other customers may read of a past case: its resolution, as a note."""
    return " ".join(case_note(resolution_of(case)))


def shown_to_model(passage: Passage) -> tuple[str, str]:
    """(heading, text) a language model is given of a passage: an article or FAQ as retrieved;
    a past case only as the note other customers may read, under a neutral title ("" when the
    case was about that customer alone). The case's subject and the customer's words are
    another customer's: a model shown them copies them, and the check drops them anyway."""
    if passage.kind == "case":
        note = told_of(passage)
        return CASE_TITLE, f"{CASE_NOTE_LEAD} {note}" if note else ""
    section = passage.chunk.section
    return (f"{passage.title} — {section}" if section else passage.title), passage.text


@dataclass(frozen=True)
class Grounding:
    text: str
    citations: list[Citation]
    grounded_share: float  # supported claims / all claims (1.0 when there are none)
    claims: int
    dropped: int


def supports(claim: str, passage: Passage) -> bool:
    words = set(content_words(claim))
    source = evidence(passage)
    if not source:
        return False
    if not words:
        return True
    present = set(content_words(source))
    share = len(words & present) / len(words)
    facts_ok = numbers(claim) <= numbers(source) and set(CODE.findall(claim)) <= set(
        CODE.findall(source)
    )
    return share >= SUPPORT_SHARE and facts_ok


def snippet(passage: Passage, size: int = 220) -> str:
    if passage.kind == "case":  # the resolution, as told to other customers; never the problem
        text = told_of(passage)
    else:
        text = plain(strip_injections(passage.chunk.text))
    return text if len(text) <= size else text[: size - 1].rsplit(" ", 1)[0] + "…"


def citation(n: int, passage: Passage) -> Citation:
    """How a passage is cited; a past case by a neutral title, never its customer's subject."""
    if passage.kind == "case":
        return Citation(n, passage.document_id, CASE_TITLE, "", "", "case", snippet(passage))
    return Citation(
        n,
        passage.document_id,
        passage.title,
        passage.url,
        passage.chunk.section,
        passage.kind,
        snippet(passage),
    )


def check(text: str, passages: Sequence[Passage], drop_unsupported: bool = True) -> Grounding:
    valid = range(1, len(passages) + 1)
    kept: list[tuple[str, bool]] = []
    claims = supported = 0
    for raw, starts_line in _claims(text):
        indent = raw[: len(raw) - len(raw.lstrip())]
        claim_text = _MARKER.sub("", raw).strip()
        lead_in = _LEAD_IN.match(claim_text)
        prefix = lead_in.group(0) if lead_in else ""
        claim_text = claim_text[len(prefix) :]
        if not claim_text:
            continue
        if claim_text.endswith(":") or _RULE.match(claim_text):
            kept.append((indent + (prefix + claim_text).strip(), starts_line))  # connective
            continue
        if len(content_words(claim_text)) < 2 and not _ROW.match(claim_text):
            continue  # a fragment ("[HACKED]", "Doc 1") carries no checkable information
        claims += 1
        # Each source once: a claim the composer cited sentence by sentence is one claim here.
        cited = list(dict.fromkeys(int(n) for n in _MARKER.findall(raw) if int(n) in valid))
        backing = [n for n in cited if supports(claim_text, passages[n - 1])]
        if not backing:
            backing = [n for n in valid if supports(claim_text, passages[n - 1])][:1]
            if backing and (_ITEM.match(claim_text) or _ROW.match(claim_text)):
                # A step of a cited list, a row of a cited table: supported, and the list or
                # the table carries the marker.
                supported += 1
                kept.append((indent + claim_text, starts_line))
                continue
        if backing:
            supported += 1
            markers = "".join(f" [{n}]" for n in backing)
            kept.append((indent + _marked(prefix + claim_text, markers), starts_line))
        elif not drop_unsupported:
            kept.append((prefix + claim_text, starts_line))
    body = _join(kept)
    # Renumber in order of first use, so the reader sees [1], [2], … without gaps.
    order: dict[int, int] = {}
    for n in (int(m) for m in _MARKER.findall(body)):
        order.setdefault(n, len(order) + 1)
    body = _MARKER.sub(lambda m: f" [{order[int(m.group(1))]}]", body)
    citations = [citation(new, passages[old - 1]) for old, new in order.items()]
    share = supported / claims if claims else 1.0
    return Grounding(body, citations, share, claims, claims - supported)


def _marked(claim: str, markers: str) -> str:
    """A table row keeps its markers inside its last cell, where Markdown shows them."""
    if _ROW.match(claim) and claim.rstrip().endswith("|"):
        return claim.rstrip()[:-1].rstrip() + markers + " |"
    return claim + markers


def _claims(text: str) -> list[tuple[str, bool]]:
    """(claim, starts a line): a list item or a table row is one claim; prose is split into
    sentences."""
    out: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if _ITEM.match(line) or _ROW.match(line):
            # An indented item is nested in the item above it: it keeps its indentation.
            out.append((line.rstrip() if _ITEM.match(line) else line.strip(), True))
        else:
            out.extend((s, i == 0) for i, s in enumerate(_with_answers(line.strip())))
    return out


def _with_answers(line: str) -> list[str]:
    """The sentences of a line, a question kept with the sentence that answers it ("Changed
    your mind within 30 days? Email support…"): alone it is no claim, and a reader would see
    it cited as one."""
    out: list[str] = []
    for sentence in _SENTENCE.split(line):
        asked = _MARKER.sub("", out[-1]).rstrip() if out else ""
        if asked.endswith("?"):
            out[-1] = f"{asked} {sentence}"
        else:
            out.append(sentence)
    return out


def _same_list(item: str, previous: str) -> bool:
    """Both items of one list: steps after steps, bullets after bullets (steps, then bullets,
    are two lists, and Markdown needs the blank line to show them so), or an item nested in
    the list, and the list going on after it."""
    both = _ITEM.match(item) and _ITEM.match(previous)
    nested = item[:1].isspace() or previous[:1].isspace()
    return bool(both) and (nested or bool(_NUMBERED.match(item)) == bool(_NUMBERED.match(previous)))


def _join(parts: list[tuple[str, bool]]) -> str:
    text, previous = "", ""
    for part, starts_line in parts:
        if not text:
            text = part
        elif not starts_line and not (_ITEM.match(previous) or _ROW.match(previous)):
            text += " " + part
        elif _same_list(part, previous) or (_ROW.match(part) and _ROW.match(previous)):
            text += "\n" + part  # the next step of the same list, the next row of the table
        else:
            text += "\n\n" + part
        previous = part
    return text
