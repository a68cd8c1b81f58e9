"""What a passage offers an extractive answer: its units, section by section.

A unit is what the composer picks whole: a sentence, a bullet, a list of numbered steps (only
useful whole, with the choices nested in a step), a table row (shown under its table's header),
a FAQ's answer (curated, kept whole; its opening "Yes," only for a yes-or-no question), or a
past case's note (its agent-written resolution, told as how others fixed it; never the
customer's words). An article passage is cut into sections: the retrieved chunk's own, then the
document's other retrieved chunks under their own headings, so an answer can follow one heading
without running on into the next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.grounding import more_chunks, resolution_of
from assistant.text import Block, case_note, parse_blocks, plain, split_sentences
from assistant.types import Passage


@dataclass(frozen=True)
class Unit:
    passage: int  # 1-based citation number
    section: int  # 0: the retrieved chunk's own section; then the document's other sections
    position: int
    kind: str  # sentence | bullet | steps | row | answer (a FAQ's, whole) | note (a case's)
    text: str  # what is scored; what is shown, except for a table row
    block: int = 0  # the list or table a bullet or row belongs to
    intro: bool = False  # a sentence that ends with ":" and introduces the next block
    cells: tuple[str, ...] = ()  # a table row's cells
    header: tuple[str, ...] = ()  # …and its table's header
    situation: bool = False  # a bullet for one situation of several (`_is_situation`)

    @property
    def where(self) -> tuple[int, int]:
        return self.passage, self.section


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


def sections_of(passage: Passage) -> list[Section]:
    """The passage's own section (the chunk with its neighbours), then the document's other
    retrieved sections: widening appends the next-best chunk whatever its heading, and an answer
    must not run on from one heading into the next."""
    if passage.kind == "case":
        return [Section("", resolution_of(passage))]
    own, others = passage.text, []
    for heading, text in more_chunks(passage):
        if heading == passage.chunk.section:
            own = own if text in own else f"{own}\n\n{text}"
            continue
        if text in own and own.strip() != text:
            own = own.replace(text, "").strip()
        others.append(Section(heading, text))
    return [Section(passage.chunk.section, own), *others]


def _table(block: Block) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    rows = [
        tuple(plain(c) for c in line.strip().strip("|").split("|"))
        for line in block.text.splitlines()
        if line.lstrip().startswith("|")
    ]
    rows = [r for r in rows if not all(re.fullmatch(r":?-+:?", c) or not c for c in r)]
    return (rows[0], rows[1:]) if len(rows) >= 2 else ((), [])


def _row_text(header: tuple[str, ...], row: tuple[str, ...]) -> str:
    pairs = [f"{h}: {v}" for h, v in zip(header[1:], row[1:], strict=False) if v]
    return f"{row[0]} — " + "; ".join(pairs) if pairs else row[0]


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


_BYLINE = re.compile(
    r"^(?:last )?(?:updated|published|reviewed)\b.*\d{4}|\bmin(?:ute)? read\b", re.I
)


# A sentence about the page itself ("This article covers…", "…, this guide will help you
# find out why"): it tells the reader of the help center what the page is for, not the customer
# anything they asked.
_ABOUT_THE_PAGE = re.compile(
    r"\bthis (?:article|guide|page|help page|tutorial)\b(?: (?:will|also|only))? (?:helps?"
    r"|explains?|covers?|lists?|describes?|answers?|takes?|walks?|shows?|is about|is for)\b",
    re.I,
)


# Where to go: an address or a path through the app ("Go to https://status.example.com.").
_PLACE = re.compile(r"https?://\S|\S\s?→\s?\S")


def informative(text: str) -> bool:
    """Questions, link lists, bylines, sentences about the page and title-like fragments are
    not answers; a short sentence telling where to go is."""
    if text.rstrip().endswith("?") or _BYLINE.search(text) or _ABOUT_THE_PAGE.search(text):
        return False
    if _PLACE.search(text) and text.rstrip().endswith("."):
        return True
    return len(text.split()) >= 4 and len(_LINK.sub("", text).split()) >= 4


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


def units_of(passage: Passage, number: int) -> list[Unit]:
    units = _all_units(passage, number)
    kept = [u for u in units if u.kind in {"steps", "row", "note"} or informative(u.text)]
    return [_closed(u, kept[i + 1] if i + 1 < len(kept) else None) for i, u in enumerate(kept)]


_LEAD_IN_TAIL = re.compile(
    r",?\s*(?:for example|for instance|e\.g\.|such as|as follows|like this|like so)?\s*:$", re.I
)


def _closed(unit: Unit, after: Unit | None) -> Unit:
    """An intro ("…shown under the totals, for example:") whose block an answer cannot show
    (a code sample, or nothing informative) ends as a sentence of its own ("…shown under the
    totals."), so it neither dangles nor pulls in the next paragraph as if that were the
    example."""
    if not unit.intro or (
        after is not None and after.where == unit.where and after.block == unit.block + 1
    ):
        return unit
    return replace(unit, intro=False, text=_LEAD_IN_TAIL.sub(".", unit.text))


def faq_answer(passage: Passage) -> str | None:
    """The answer of a passage written as one FAQ entry: an FAQ, or a page whose title is a
    question and whose text opens with it ("Can I…?\n\nYes, …", as many help centers export
    their FAQs); None for anything else. The question is the entry's heading, not its answer."""
    if passage.kind == "faq":
        return plain(passage.chunk.text)
    title = " ".join(passage.title.split())
    text = passage.chunk.text.lstrip().lstrip("#").lstrip()
    if passage.kind != "article" or not title.endswith("?") or not text.startswith(title):
        return None
    rest = text[len(title) :].strip()
    return plain(rest) if rest and not rest.lstrip().startswith("#") else None


# A yes-or-no question: "can I…", "is there…", anywhere in the message ("hi! can we…").
_POLAR = re.compile(
    r"(?:^|[.!?,]\s*|\b(?:hi|hey|hello|so|and|but|also)\s+)(?:can|could|do|does|did|is|are|was|"
    r"were|will|would|should|may|might|have|has|am|shall)\b",
    re.I,
)


def asks_yes_or_no(question: str) -> bool:
    return _POLAR.search(question) is not None


_REPLY = re.compile(r"(?:Yes|No)[,.!](?:\s+|$)")
_ELLIPTICAL = re.compile(r"(?:with|on|in|from|for|but|only|as long as|if|unless|via|through)\b")


def without_reply(answer: str) -> str:
    """A FAQ's answer without the "Yes, …" that answers its own question, for a customer who
    asked no yes-or-no question: "Yes, mileage tracking is built in." → "Mileage tracking is
    built in."; a sentence that only made sense after its question ("Yes, with the IP allowlist
    on the Business plan.") goes."""
    reply = _REPLY.match(answer)
    if reply is None:
        return answer
    first, _, rest = answer.partition(". ")
    remainder = first[reply.end() :]
    if not remainder or _ELLIPTICAL.match(remainder):
        return rest or answer  # (an answer of one sentence keeps it: nothing else says it)
    return remainder[:1].upper() + remainder[1:] + (". " + rest if rest else "")


def _all_units(passage: Passage, number: int) -> list[Unit]:
    if passage.kind == "case":  # only the agent's resolution, as a note; never the customer
        note = " ".join(case_note(resolution_of(passage)))
        return [Unit(number, 0, 0, "note", note)] if note else []
    answer = faq_answer(passage)
    if answer is not None:  # a curated answer: short, and best kept whole
        return [Unit(number, 0, 0, "answer", answer)]
    units: list[Unit] = []
    for index, section in enumerate(sections_of(passage)):
        units.extend(_section_units(number, index, section.text, len(units)))
    return units


# A bullet that opens with the situation it is for, in bold: a sentence ("- **The camera
# screen is black.** The app doesn't have…") or a clause before a colon ("- **The person is not
# in the list:** check that…"); a troubleshooting list, one fix per situation. A label of an
# option or two ("- **One invoice:** open…", "- **Edit** changes…") is no situation.
_BOLD_LEAD = re.compile(r"^\s*[-*+]\s+\*\*([^*]+?)\*\*")
_ENDS = re.compile(r"[.?!][\"'”’]?$")
SITUATION_WORDS = 3  # a clause before a colon: at least this many words


def _is_situation(lead: str) -> bool:
    lead = lead.strip()
    return bool(_ENDS.search(lead)) or (lead.endswith(":") and len(lead.split()) >= SITUATION_WORDS)


def _situations(text: str) -> tuple[str, ...]:
    """How the situation bullets of a list block open, once plain."""
    return tuple(
        plain(line.lstrip(" -*+"))
        for line in text.splitlines()
        if (lead := _BOLD_LEAD.match(line)) and _is_situation(lead.group(1))
    )


def _section_units(number: int, section: int, text: str, start: int) -> list[Unit]:
    units: list[Unit] = []
    for block_number, block in enumerate(parse_blocks(re.sub(r"(?m)^>\s?", "", text))):
        new: list[tuple[str, str, bool, tuple[str, ...], tuple[str, ...]]] = []
        situations = _situations(block.text) if block.kind == "list" else ()
        if block.kind == "list":
            # Numbered steps are only useful whole; bullets are separate facts. One block may
            # hold both (a bullet list, a blank line, then the steps).
            steps: list[str] = []
            for item in [*list_items(block.text), ""]:
                if item[:1].isdigit():
                    steps.append(item)
                    continue
                if steps and item[:1].isspace():  # a choice within a step stays in the step
                    steps.append(_nested(item, steps))
                    continue
                if steps:
                    new.append(("steps", "\n".join(steps), False, (), ()))
                    steps = []
                if item:
                    new.append(("bullet", plain(item.lstrip("-*+ ")), False, (), ()))
        elif block.kind == "table":
            header, rows = _table(block)
            new.extend(("row", _row_text(header, row), False, row, header) for row in rows)
            after = [line for line in block.text.splitlines() if not line.lstrip().startswith("|")]
            new.extend(("sentence", s, False, (), ()) for s in sentences(plain(" ".join(after))))
        elif block.kind == "paragraph":
            new.extend(
                ("sentence", s, s.endswith(":"), (), ()) for s in sentences(plain(block.text))
            )
        for kind, body, intro, cells, header in new:
            position = start + len(units)
            situation = kind == "bullet" and body.startswith(situations)
            units.append(
                Unit(number, section, position, kind, body, block_number, intro, cells, header,
                     situation)
            )  # fmt: skip
    return units


def _nested(item: str, steps: Sequence[str]) -> str:
    """An item under a step, indented to the step's text, where Markdown nests it."""
    parent = next(s for s in reversed(steps) if s[:1].isdigit())
    marker = re.match(r"\d+[.)]\s*", parent)
    return " " * (marker.end() if marker else 3) + item.strip()


def headings(passage: Passage, number: int) -> dict[tuple[int, int], str]:
    """What each section of a passage is titled: its heading, or the FAQ's question."""
    if faq_answer(passage) is not None:
        return {(number, 0): passage.title}
    if passage.kind == "article":
        return {(number, i): s.heading for i, s in enumerate(sections_of(passage))}
    return {(number, 0): ""}
