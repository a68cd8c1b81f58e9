"""Probe questions made from a knowledge base's own content, for its self-calibration.

A confidence score fitted on one help center does not transfer to another: cosine levels,
document kinds and answer lengths differ. So each knowledge base calibrates itself on questions
written from its own text, without labels:

- answerable probes: FAQ questions, titles that are questions, headings phrased as questions,
  resolved-case subjects, and sentences of the body turned into short queries (a few of the
  sentence's own words, the way customers type: a body sentence verbatim echoes its passage and
  would make every probe look easy);
- "close but not it" probes: the same questions with their source left out of the candidates —
  the whole page (every document sharing its title or address), since a sibling passage of the
  same page would still answer it. The nearest neighbours then are exactly the passages a real
  unanswerable question meets;
- off-topic probes: questions no support knowledge base answers (`offtopic.txt`).

Pure functions of the documents and a seed: the same index gives the same probes.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant.text import STOPWORDS, parse_blocks, plain, split_sentences
from assistant.types import Document

ProbeKind = Literal["question", "heading", "sentence", "subject", "offtopic"]
PER_DOCUMENT = 2  # probes per document where the documents are many
WINDOWS = 3  # at most this many probes from one sentence (different runs of its words)
OFFTOPIC_FILE = Path(__file__).resolve().parent / "offtopic.txt"
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*|\d[\d.,]*%?")
_QUESTION_START = re.compile(
    r"^(?:how|what|why|when|where|which|who|whom|whose|can|could|do|does|did|is|are|was|were|"
    r"will|would|should|may|might|has|have|i|my)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Probe:
    text: str
    document_id: str  # the document the question was written from ("" when off-topic)
    leave_out: frozenset[str]  # the documents of its page: left out for the unanswerable twin
    kind: ProbeKind


def page_groups(documents: Sequence[Document]) -> dict[str, frozenset[str]]:
    """Each document's page: every document that shares its address or (non-empty) title."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for doc in documents:
        for key in _page_keys(doc):
            by_key[key].add(doc.id)
    return {
        doc.id: frozenset({doc.id}.union(*(by_key[k] for k in _page_keys(doc))))
        for doc in documents
    }


def _page_keys(doc: Document) -> list[str]:
    keys = [f"url:{doc.url.split('#')[0].lower()}"] if doc.url else []
    title = " ".join(doc.title.lower().split())
    if title and doc.kind != "case":  # case subjects repeat across customers
        keys.append(f"title:{title}")
    return keys


def is_question(text: str) -> bool:
    text = text.strip()
    return text.endswith("?") or (bool(_QUESTION_START.match(text)) and len(text.split()) >= 3)


def as_question(heading: str) -> str | None:
    """ "Connect your bank account" → "connect your bank account?"; headings that are not
    instructions or topics ("Overview", "Notes") make no probe."""
    words = _WORD.findall(heading)
    if len(words) < 3:
        return None
    return heading.strip().rstrip(":.") + ("" if heading.strip().endswith("?") else "?")


def sentence_query(sentence: str, rng: random.Random) -> str | None:
    """A customer-sized query from a body sentence: a run of 5-9 of its words, kept in order
    with their small words, so it reads like a phrase a person would type."""
    words = _WORD.findall(sentence)
    if len(words) < 6:
        return None
    size = min(len(words), rng.randint(5, 9))
    start = rng.randint(0, len(words) - size)
    window = words[start : start + size]
    if sum(w.lower() not in STOPWORDS and len(w) > 2 for w in window) < 3:
        return None
    return " ".join(window) + "?"


def _body_sentences(doc: Document) -> list[str]:
    sentences = []
    for block in parse_blocks(doc.text):
        if block.kind in {"heading", "code", "table"}:
            continue
        for sentence in split_sentences(plain(block.text)):
            if 6 <= len(sentence.split()) <= 60 and sentence.strip() != doc.title.strip():
                sentences.append(sentence)
    return sentences


def _headings(doc: Document) -> list[str]:
    return [b.text.lstrip("#").strip() for b in parse_blocks(doc.text) if b.kind == "heading"]


def build_probes(
    documents: Sequence[Document],
    per_document: int = PER_DOCUMENT,
    limit: int = 600,
    seed: int = 13,
) -> list[Probe]:
    """At most `limit` probes, spread over the documents (each gives up to `per_document`)."""
    groups = page_groups(documents)
    probes: list[Probe] = []
    for doc in sorted(documents, key=lambda d: _digest(d.id, seed)):
        rng = random.Random(_digest(doc.id, seed))
        mine: list[Probe] = []
        group = groups[doc.id]
        if doc.kind == "faq" or (doc.kind != "case" and is_question(doc.title)):
            mine.append(Probe(doc.title.strip(), doc.id, group, "question"))
        elif doc.kind == "case" and len(doc.title.split()) >= 3:
            mine.append(Probe(doc.title.strip(), doc.id, group, "subject"))
        headings = [q for h in _headings(doc) if (q := as_question(h))]
        if headings:
            mine.append(Probe(rng.choice(headings), doc.id, group, "heading"))
        sentences = _body_sentences(doc)
        rng.shuffle(sentences)
        # Probed deeper than `PER_DOCUMENT` (a help center of a few FAQs), a sentence also gives
        # other runs of its words.
        for sentence in sentences * (WINDOWS if per_document > PER_DOCUMENT else 1):
            if len(mine) >= per_document + 1:
                break
            query = sentence_query(sentence, rng)
            if query and all(query != p.text for p in mine):
                mine.append(Probe(query, doc.id, group, "sentence"))
        # One of each kind first, so a document with many headings cannot crowd out its body.
        probes.extend(_spread(mine, per_document, rng))
    rng = random.Random(seed)
    if len(probes) > limit:
        probes = rng.sample(probes, limit)
    return probes


def deeper(documents: Sequence[Document], limit: int) -> int:
    """Probes per document for a help center too small to calibrate at `PER_DOCUMENT` each:
    as many as `limit` allows. Runs of words from the same sentences are less independent than
    more documents would be, so this is for when there are no more documents."""
    return max(PER_DOCUMENT, math.ceil(limit / max(len(documents), 1)))


def _spread(probes: list[Probe], count: int, rng: random.Random) -> list[Probe]:
    if len(probes) <= count:
        return probes
    sentences = [p for p in probes if p.kind == "sentence"]
    others = [p for p in probes if p.kind != "sentence"]
    chosen = rng.sample(others, min(len(others), max(count - 1, 1)))
    return chosen + sentences[: count - len(chosen)]


def offtopic_probes(limit: int = 40) -> list[Probe]:
    lines = OFFTOPIC_FILE.read_text(encoding="utf-8").splitlines()
    texts = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [Probe(t, "", frozenset(), "offtopic") for t in texts[:limit]]


def _digest(text: str, seed: int) -> int:
    return int(hashlib.sha1(f"{seed}:{text}".encode()).hexdigest()[:12], 16)
