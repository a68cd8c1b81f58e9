"""The default `ChatModel`: composes a short reply from the best sentences of the passages.

No model, instant, deterministic. It picks the passage sentences (or whole step lists, or the
matching table row) that best cover the question, keeps each one's citation, and abstains
when nothing in the passages shares meaning-carrying words with the question. Every sentence
it writes is copied from a cited passage, so it cannot invent a fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.text import (
    CODE,
    Block,
    content_words,
    expand,
    parse_blocks,
    plain,
    split_sentences,
)
from assistant.types import Draft, GenerationRequest, Message, Passage

MAX_WORDS = 110  # prose words in a reply, besides a step list
MAX_UNITS = 5
FAQ_WHOLE = True
SUPPORT_RATIO = 0.45
_PASSAGE_PRIOR = (0.35, 0.15, 0.05)


@dataclass(frozen=True)
class Unit:
    passage: int  # 1-based citation number
    position: int
    kind: str  # sentence | list | row
    text: str
    intro: bool = False  # a sentence that ends with ":" and introduces the next block


def _table_rows(block: Block) -> list[str]:
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")] for line in block.text.splitlines()
    ]
    rows = [r for r in rows if not all(re.fullmatch(r":?-+:?", c) or not c for c in r)]
    if len(rows) < 2:
        return []
    header, body = rows[0], rows[1:]
    out = []
    for row in body:
        pairs = [f"{h}: {v}" for h, v in zip(header[1:], row[1:], strict=False) if v]
        out.append(f"{row[0]} — " + "; ".join(pairs) if pairs else row[0])
    return out


def list_items(text: str) -> list[str]:
    """One line per item: hard-wrapped continuation lines are joined to their item."""
    items: list[str] = []
    for line in text.splitlines():
        if re.match(r"\s*(?:[-*+]|\d+[.)])\s", line) or not items:
            items.append(plain(line) if not line.startswith(" ") else "  " + plain(line))
        elif line.strip():
            items[-1] += " " + plain(line)
    return items


_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def informative(text: str) -> bool:
    """Questions, link lists and title-like fragments are not answers."""
    if text.rstrip().endswith("?") or len(text.split()) < 4:
        return False
    return len(_LINK.sub("", text).split()) >= 4


def units_of(passage: Passage, number: int) -> list[Unit]:
    return [u for u in _all_units(passage, number) if u.kind == "list" or informative(u.text)]


def _all_units(passage: Passage, number: int) -> list[Unit]:
    units: list[Unit] = []
    text = passage.text
    if passage.kind == "case":  # quote how it was solved, never the customer's own words
        resolution = text.split("Resolution:", 1)[-1].strip()
        return [Unit(number, i, "sentence", s) for i, s in enumerate(split_sentences(resolution))]
    if passage.kind == "faq" and FAQ_WHOLE:  # a curated answer: short, and best kept whole
        return [Unit(number, 0, "sentence", plain(passage.chunk.text))]
    for block in parse_blocks(re.sub(r"(?m)^>\s?", "", text)):
        if block.kind == "list":
            items = list_items(block.text)
            if items and items[0][0].isdigit():  # numbered steps: only useful whole
                units.append(Unit(number, len(units), "list", "\n".join(items)))
            else:  # bullets are separate facts
                units.extend(
                    Unit(number, len(units), "sentence", plain(i.lstrip("-*+ "))) for i in items
                )
        elif block.kind == "table":
            units.extend(Unit(number, len(units), "row", r) for r in _table_rows(block))
        elif block.kind == "paragraph":
            for sentence in split_sentences(plain(block.text)):
                units.append(
                    Unit(number, len(units), "sentence", sentence, intro=sentence.endswith(":"))
                )
    return units


# What kind of answer a question asks for, and the sign of it in a sentence.
_INTENTS = (
    (
        re.compile(r"\bhow much\b|\bcost|\bpric|\bfee\b|\bcharge", re.I),
        "<money>",
        re.compile(r"[$€£]\s?\d"),
    ),
    (
        re.compile(r"\bhow (?:long|soon|often)\b|\bwhen\b|\bdeadline|\bexpire", re.I),
        "<time>",
        re.compile(r"\b\d+\s?(?:-\s?)?(?:day|hour|minute|week|month|year|business day)s?\b", re.I),
    ),
    (re.compile(r"\bhow (?:many|much)\b|\blimit|\bmax", re.I), "<number>", re.compile(r"\d")),
    (
        re.compile(
            r"\bhow (?:do|can|to|should)\b|\bwhere (?:do|can|is)\b|\bsteps?\b|\bset ?up\b", re.I
        ),
        "<steps>",
        re.compile(r"^\s*(?:\d+[.)]|[-*+])\s|→", re.M),
    ),
)
_META = re.compile(r"\bthis (?:article|guide|page)\b|\bsee (?:below|above)\b", re.I)


def _weights(query: str) -> dict[str, float]:
    words = content_words(query)
    codes = {c.lower() for c in CODE.findall(query)}
    weights = {w: 2.5 if (w in codes or w[0].isdigit() or w[0] == "$") else 1.0 for w in words}
    for word in content_words(expand(query)):
        weights.setdefault(word, 0.8)
    for asks, token, _ in _INTENTS:
        if asks.search(query):
            weights[token] = 1.5
    return weights


def _signals(text: str) -> set[str]:
    return {token for _, token, shows in _INTENTS if shows.search(text)}


def score(unit: Unit, weights: dict[str, float], context: set[str]) -> float:
    words = content_words(unit.text)
    present = set(words) | _signals(unit.text)
    overlap = sum(w for t, w in weights.items() if t in present)
    if overlap == 0:
        return 0.0
    topical = 0.3 * sum(w for t, w in weights.items() if t in context and t not in present)
    # Long units match more words by chance: discount beyond a sentence's usual length.
    length = 1.0 + 0.015 * max(0, len(words) - 20)
    if unit.kind == "list" and "<steps>" not in weights:
        length *= 1.5  # a list of steps answers "how do I"; otherwise it is mostly noise
    prior = _PASSAGE_PRIOR[unit.passage - 1] if unit.passage <= len(_PASSAGE_PRIOR) else 0.0
    position = 0.1 if unit.position == 0 else 0.0
    meta = 1.0 if _META.search(unit.text) else 0.0  # "this guide explains…" answers nothing
    return (overlap + topical) / length + prior + position - meta


def _similar(a: str, b: str) -> bool:
    x, y = set(content_words(a)), set(content_words(b))
    return bool(x and y) and len(x & y) / len(x | y) > 0.6


def compose(question: str, passages: Sequence[Passage]) -> Draft:
    weights = _weights(question)
    if not weights or not passages:
        return Draft("", abstained=True)
    scored: list[tuple[float, Unit]] = []
    by_passage: dict[int, list[Unit]] = {}
    for number, passage in enumerate(passages, start=1):
        context = set(content_words(f"{passage.title} {passage.chunk.section}"))
        units = units_of(passage, number)
        by_passage[number] = units
        scored.extend((score(u, weights, context), u) for u in units)
    scored = [(s, u) for s, u in scored if s > 0]
    if not scored:
        return Draft("", abstained=True)
    scored.sort(key=lambda su: (-su[0], su[1].passage, su[1].position))
    best = scored[0][0]
    first_passage = [su for su in scored if su[1].passage == 1]
    lead_score, lead = (
        first_passage[0] if first_passage and first_passage[0][0] >= 0.6 * best else scored[0]
    )

    chosen = [lead]
    siblings = {u.position: u for u in by_passage[lead.passage]}
    after, before = siblings.get(lead.position + 1), siblings.get(lead.position - 1)
    if lead.intro and after is not None:
        chosen.append(after)  # the steps the sentence introduces
    elif lead.kind == "list" and before is not None and before.intro:
        chosen.insert(0, before)
    words = sum(len(u.text.split()) for u in chosen if u.kind != "list")
    for s, unit in scored:
        if len(chosen) >= MAX_UNITS or s < SUPPORT_RATIO * lead_score:
            break
        if unit in chosen or any(_similar(unit.text, c.text) for c in chosen):
            continue
        if unit.kind == "list" and any(c.kind == "list" for c in chosen):
            continue
        size = 0 if unit.kind == "list" else len(unit.text.split())
        if words + size > MAX_WORDS:
            continue
        chosen.append(unit)
        words += size
    return Draft(render(chosen, passages))


def render(units: Sequence[Unit], passages: Sequence[Passage]) -> str:
    # Keep each passage's units together and in their original order: it reads like prose.
    order = {u.passage: i for i, u in reversed(list(enumerate(units)))}
    units = sorted(units, key=lambda u: (order[u.passage], u.position))
    parts: list[str] = []
    for unit in units:
        marker = f"[{unit.passage}]"
        if unit.kind == "list":
            parts.append(unit.text.rstrip() + f" {marker}")
        elif passages[unit.passage - 1].kind == "case" and unit.position == 0:
            parts.append(f"In a similar case, this solved it: {unit.text} {marker}")
        elif unit.intro:
            parts.append(unit.text)  # the list that follows carries the citation
        else:
            parts.append(f"{unit.text} {marker}")
    text = ""
    for part in parts:
        if not text:
            text = part
        elif part[0].isdigit() or part.startswith(("-", "*", "+")):
            text += ("\n" if text.endswith(":") else "\n\n") + part
        elif "\n" in text.rsplit("\n\n", 1)[-1] or re.search(
            r"\n\s*(?:[-*+]|\d+[.)])\s[^\n]*$", text
        ):
            text += "\n\n" + part  # prose after a list starts a new paragraph
        else:
            text += " " + part
    return text.strip()


class ExtractiveComposer:
    name = "extractive"

    def generate(self, request: GenerationRequest) -> Draft:
        return compose(request.query, request.passages)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        text = self.generate(request).text
        yield from re.findall(r"\S+\s*", text)

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        return None
