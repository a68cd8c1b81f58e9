"""Markdown for the units an extractive answer chose: the lead's section first, then each
section's units in their original order. Steps stay a numbered list, bullets a list, table rows
a table under their header, a past case's resolution one note; each claim keeps the number of
the passage it was copied from, where the grounding check reads it.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.backends.extractive_units import Unit, sentences
from assistant.text import CASE_NOTE_LEAD


def render(units: Sequence[Unit]) -> str:
    """Markdown: the lead's section first, each section's units in their original order; steps
    as a numbered list, bullets as a list, rows as a table under their header, a case as a note."""
    order = {u.where: i for i, u in reversed(list(enumerate(units)))}
    units = sorted(units, key=lambda u: (u.kind == "note", order[u.where], u.position))
    blocks: list[list[str]] = []  # each a paragraph, a list or a table, as lines
    previous: Unit | None = None
    for unit in units:
        marker = f"[{unit.passage}]"
        continues = previous is not None and (previous.where, previous.block) == (
            unit.where,
            unit.block,
        )
        if unit.kind == "row":
            row = _row(unit.cells, len(unit.header))
            if continues and previous is not None and previous.kind == "row":
                blocks[-1][-1] = _row(previous.cells, len(previous.header))  # marker moves on
                blocks[-1].append(_cited(row, marker))
            else:
                blocks.append([*_table_head(unit.header), _cited(row, marker)])
        elif unit.kind == "bullet":
            item = f"- {unit.text} {marker}"
            if continues and previous is not None and previous.kind == "bullet":
                blocks[-1].append(item)
            else:
                blocks.append([item])
        elif unit.kind == "steps":
            blocks.append([f"{unit.text.rstrip()} {marker}"])
        elif unit.kind == "note":
            cited = " ".join(f"{s} {marker}" for s in sentences(unit.text))
            if previous is not None and previous.kind == "note":
                blocks[-1][-1] += " " + cited  # one note, however many cases it draws on
            else:
                blocks.append([f"{CASE_NOTE_LEAD} {cited}"])
        else:
            text = (
                " ".join(f"{s} {marker}" for s in sentences(unit.text))
                if unit.kind == "answer"
                else unit.text
                if unit.intro  # the block that follows carries the citation
                else f"{unit.text} {marker}"
            )
            prose = previous is not None and previous.where == unit.where
            prose = prose and previous is not None and previous.kind in {"sentence", "answer"}
            if prose and previous is not None and not previous.intro:
                blocks[-1][-1] += " " + text
            else:
                blocks.append([text])
        previous = unit
    return "\n\n".join("\n".join(lines) for lines in blocks).strip()


def _table_head(header: tuple[str, ...]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]


def _row(cells: tuple[str, ...], width: int) -> str:
    padded = (*cells, *("",) * (width - len(cells)))[: max(width, 1)]
    return "| " + " | ".join(padded) + " |"


def _cited(row: str, marker: str) -> str:
    """A table's citation goes in the last cell of its last row, where Markdown shows it."""
    return row[:-1].rstrip() + f" {marker} |"
