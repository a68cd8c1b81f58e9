"""Passages as retrieval hands them to the extractive composer: an article's section, a FAQ,
another section of the same document, a past case."""

from __future__ import annotations

from typing import Any

from assistant.types import Chunk, Passage


def passage(
    n: int,
    kind: str,
    title: str,
    text: str,
    section: str = "",
    more: tuple[Chunk, ...] = (),
    **metadata: Any,
) -> Passage:
    meta: dict[str, Any] = {"title": title, "kind": kind, "url": f"https://help.example/{n}"}
    chunk = Chunk(f"chunk-{n}", f"{kind}:{n}", 0, text, section, {**meta, **metadata})
    return Passage(chunk, 1.0 / n, context=text, more=more)


def other_section(n: int, section: str, text: str) -> Chunk:
    """Another retrieved chunk of passage n's document, under its own heading."""
    return Chunk(f"chunk-{n}-{section}", f"article:{n}", 5, text, section, {})


def case(n: int, problem: str, resolution: str | None) -> Passage:
    """A past case as ingest indexes it: the customer's problem in the searched text, the
    agent's resolution also in a field of its own (absent for an old index)."""
    text = f"Problem: {problem}\n\nResolution: {resolution or 'see the conversation'}"
    fields: dict[str, Any] = {} if resolution is None else {"resolution": resolution}
    return passage(n, "case", problem.split(".")[0], text, **fields)
