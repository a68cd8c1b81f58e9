"""The default `ChatModel`: composes a short reply from the best sentences of the passages.

No model, instant, deterministic. It picks the passage sentences (or whole step lists, the
matching table row, or a FAQ answer or a resolved case's resolution, whole) that best cover
the question, preferring more of the best passage over more sources, keeps each one's
citation, and abstains when nothing in the passages shares meaning-carrying words with the
question. Every sentence it writes is copied from a cited passage, so it cannot invent a fact.
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
SUPPORT_RATIO = 0.45  # a unit joins the lead when it scores this share of the lead's score
OTHER_RATIO = 0.65  # …and this share when it is one more whole FAQ answer or case
HEADER = 0.5  # a FAQ answer or a case resolution matches the question it answers, at this weight
SAME_PASSAGE = 1.0  # preference for more of the lead's passage over other passages
_PASSAGE_PRIOR = (0.35, 0.15, 0.05)
CASE_RESOLUTION = "\n\nResolution: "  # how ingest/chunking.py joins a case's two parts


@dataclass(frozen=True)
class Unit:
    passage: int  # 1-based citation number
    position: int
    kind: str  # sentence | list | row | answer (a FAQ answer or a case resolution, whole)
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


_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|approx|incl)\.$", re.I)


def sentences(text: str) -> list[str]:
    """Sentences, without splitting after an abbreviation ("e.g.") and with a question kept
    together with the sentence that answers it ("Changed your mind within 30 days? Email …")."""
    out: list[str] = []
    join = False
    for sentence in split_sentences(text):
        if join and out:
            out[-1] += " " + sentence
        else:
            out.append(sentence)
        join = bool(_ABBREVIATION.search(sentence)) or sentence.endswith("?")
    return out


def _all_units(passage: Passage, number: int) -> list[Unit]:
    units: list[Unit] = []
    text = passage.text
    if passage.kind == "case":  # quote how it was solved, never the customer's own words
        # A resolution is short (the cause, then the fix): like a FAQ answer, it is kept whole.
        # The agent's resolution is the chunk's *last* part: a customer can type "Resolution:"
        # into the problem, and a piece of a long case without the marker quotes nothing.
        parts = text.rsplit(CASE_RESOLUTION, 1)
        resolution = plain(parts[1]) if len(parts) == 2 else ""
        return [Unit(number, 0, "answer", resolution)] if resolution else []
    if passage.kind == "faq" and FAQ_WHOLE:  # a curated answer: short, and best kept whole
        return [Unit(number, 0, "answer", plain(passage.chunk.text))]
    for block in parse_blocks(re.sub(r"(?m)^>\s?", "", text)):
        if block.kind == "list":
            # Numbered steps are only useful whole; bullets are separate facts. One block may
            # hold both (a bullet list, a blank line, then the steps).
            steps: list[str] = []
            for item in [*list_items(block.text), ""]:
                if item[:1].isdigit():
                    steps.append(item)
                    continue
                if steps:
                    units.append(Unit(number, len(units), "list", "\n".join(steps)))
                    steps = []
                if item:
                    units.append(Unit(number, len(units), "sentence", plain(item.lstrip("-*+ "))))
        elif block.kind == "table":
            units.extend(Unit(number, len(units), "row", r) for r in _table_rows(block))
        elif block.kind == "paragraph":
            for sentence in sentences(plain(block.text)):
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
    topical = sum(w for t, w in weights.items() if t in context and t not in present)
    if unit.kind == "answer":  # a FAQ's or a case's answer also matches by what it answers
        overlap, topical = overlap + HEADER * topical, 0.0
    if overlap == 0:
        return 0.0
    topical *= 0.3
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

    chosen: list[Unit] = []
    words = 0

    def take(unit: Unit) -> None:
        nonlocal words
        siblings = {u.position: u for u in by_passage[unit.passage]}
        after, before = siblings.get(unit.position + 1), siblings.get(unit.position - 1)
        group = [unit]
        if unit.intro and after is not None:
            group.append(after)  # the steps the sentence introduces
        elif unit.kind == "list" and before is not None and before.intro:
            group.insert(0, before)
        for member in group:
            if member not in chosen:
                chosen.append(member)
                words += 0 if member.kind == "list" else len(member.text.split())

    take(lead)
    # The rest, with the lead's own passage preferred: one source reads as one answer, and
    # the passage that answers best usually holds the other facts the question asks for.
    rest = sorted(
        ((s + (SAME_PASSAGE if u.passage == lead.passage else 0.0), u) for s, u in scored),
        key=lambda su: (-su[0], su[1].passage, su[1].position),
    )
    for s, unit in rest:
        if len(chosen) >= MAX_UNITS or s < SUPPORT_RATIO * lead_score:
            break
        if (
            unit.kind == "answer"
            and s < OTHER_RATIO * lead_score
            and all(c.passage != unit.passage for c in chosen)
        ):
            continue  # another whole FAQ answer or case: only when nearly as relevant as the lead
        if unit in chosen or any(_similar(unit.text, c.text) for c in chosen):
            continue
        if unit.kind == "list" and any(c.kind == "list" for c in chosen):
            continue
        size = 0 if unit.kind == "list" else len(unit.text.split())
        if words + size > MAX_WORDS:
            continue
        take(unit)
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
        elif unit.kind == "answer":
            cited = " ".join(f"{s} {marker}" for s in sentences(unit.text))
            if passages[unit.passage - 1].kind == "case":
                cited = f"In a similar case, this solved it: {cited}"
            parts.append(cited)
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
