"""The units an extractive answer has chosen so far, and the company each one keeps.

A sentence can need what was said before it: the rule an example illustrates, what "then" or
"this" points back to, the page "on the same page" means, the paragraph's opening when it is
quoted from the middle. Steps and bullets come with the sentence that introduces them; a table
is read whole, up to a size. The limits keep an answer short: a few units, a word budget for
prose (steps and a past case's note have their own).
"""

from __future__ import annotations

import re

from assistant.backends.extractive_scoring import covered
from assistant.backends.extractive_units import Unit
from assistant.text import content_words

MAX_WORDS = 110  # prose words in a reply, besides a step list
MAX_UNITS = 5  # sentences, bullets, lists and tables (a past case's note aside)
MAX_ROWS = 8  # rows of a table
OPEN_PART = 1.0  # what a unit must add to the question's words covered to answer another part

_EXAMPLE = re.compile(r"(?:Example|For example|For instance|E\.g\.)\b", re.I)
# A sentence that opens by pointing back ("From then on, schedules are paused") means nothing
# without the sentence it points to.
_POINTS_BACK = re.compile(
    r"(?:From then on|After that|Until then|By then|In that case|This|That|These|Those|It)\b"
)
# A sentence that places something "on the same page" names no page: it means something only
# after the steps or the sentence that do.
_SAME_PLACE = re.compile(
    r"\b(?:on|in|from|under) (?:the same|that|this) (?:page|screen|tab|menu|panel|dialog|window)\b",
    re.I,
)


def _in_a_place_unnamed(unit: Unit) -> bool:
    """A sentence placing something "on the same page": the unit before it names the page."""
    return unit.kind == "sentence" and _SAME_PLACE.search(unit.text) is not None


def _similar(a: str, b: str) -> bool:
    x, y = set(content_words(a)), set(content_words(b))
    return bool(x and y) and len(x & y) / len(x | y) > 0.6


class Chosen:
    """The units of the answer so far, within the length limits."""

    def __init__(
        self,
        by_section: dict[tuple[int, int], list[Unit]],
        weights: dict[str, float],
        done: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """`done`: the tasks the customer says they have done (`already_done`)."""
        self.by_section = by_section
        self.weights = weights
        self.done = done
        self.units: list[Unit] = []
        self.words = 0

    @property
    def sections(self) -> set[tuple[int, int]]:
        return {u.where for u in self.units}

    def has_table(self, row: Unit) -> bool:
        return any(
            u.kind == "row" and (u.where, u.block) == (row.where, row.block) for u in self.units
        )

    @property
    def notes(self) -> set[tuple[int, int]]:
        return {u.where for u in self.units if u.kind == "note"}

    def take(self, unit: Unit) -> None:
        after, before = self._neighbour(unit, 1), self._neighbour(unit, -1)
        group = [unit]
        if unit.intro and after is not None:
            group.append(after)  # the steps the sentence introduces
        elif unit.kind in {"steps", "bullet", "row"} and before is not None and before.intro:
            group.insert(0, before)
        elif (
            (_EXAMPLE.match(unit.text) or _POINTS_BACK.match(unit.text))
            and before is not None
            and before.kind == "sentence"
        ):
            group.insert(0, before)  # the rule an example illustrates, or what "then" means
        elif _in_a_place_unnamed(unit) and before is not None:
            group.insert(0, before)  # the steps or the sentence that name "the same page"
        for member in group:
            if member not in self.units:
                self.units.append(member)
                self.words += _size(member)

    def consider(self, unit: Unit) -> None:
        rows = sum(u.kind == "row" for u in self.units)
        if unit.kind == "row" and self.has_table(unit):
            if rows >= MAX_ROWS:
                return  # a table the answer shows counts as one unit, up to a size
        elif unit in self.units or (unit.kind != "note" and self.budgeted(rows) >= MAX_UNITS):
            return  # (a past case's note has limits of its own, as it has its own words)
        if any(_similar(unit.text, c.text) for c in self.units if c.kind != "row"):
            return  # rows of a table are alike by design
        if unit.kind == "steps" and any(c.kind == "steps" for c in self.units):
            return
        if unit.kind == "steps" and self.done & set(content_words(unit.text)):
            return  # the steps of what the customer says they did already
        if _in_a_place_unnamed(unit) and self._neighbour(unit, -1) not in self.units:
            return  # "on the same page", in an answer that never names the page
        if self.words + _size(unit) > MAX_WORDS and not (
            unit.kind == "row" and self.has_table(unit)
        ):
            return  # (a table the answer shows is read whole, up to its size)
        self.take(unit)

    def opening(self, unit: Unit) -> Unit | None:
        """The first sentence of the paragraph `unit` is in, when `unit` is not that sentence."""
        first = next(u for u in self.by_section[unit.where] if u.block == unit.block)
        return first if first is not unit and first.kind == "sentence" else None

    def _neighbour(self, unit: Unit, offset: int) -> Unit | None:
        """The unit `offset` places after (or before) it in its section."""
        return next(
            (u for u in self.by_section[unit.where] if u.position == unit.position + offset), None
        )

    def budgeted(self, rows: int) -> int:
        """The units counted against `MAX_UNITS`: a table counts as one, a case's note as none."""
        notes = sum(u.kind == "note" for u in self.units)
        return len(self.units) - max(rows - 1, 0) - notes

    def open_part(self, unit: Unit) -> bool:
        """Whether `unit` answers a part of the question the chosen units leave open: words the
        customer used (not our synonyms), or the kind of answer asked for (a price, a time,
        steps), that nothing chosen has."""
        gain = covered(self.weights, [*self.units, unit]) - covered(self.weights, self.units)
        return gain >= OPEN_PART


def _size(unit: Unit) -> int:
    """Prose words: a list of steps is kept whole, and a note has its own few sentences."""
    return 0 if unit.kind in {"steps", "note"} else len(unit.text.split())
