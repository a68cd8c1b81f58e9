"""Typed values that flow through answerdesk: what is loaded, chunked, indexed and found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SourceKind = Literal["article", "faq", "case"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("article", "faq", "case")

Metadata = dict[str, str | int | float | bool | list[str]]


@dataclass(frozen=True)
class Document:
    """One source item (a help article, an FAQ pair, a resolved case) as loaded.

    `redact_names` carries the customer's own names from a case's metadata so redaction can
    remove them from the text; it is never stored or indexed.
    """

    id: str
    kind: SourceKind
    title: str
    text: str
    url: str = ""
    updated_at: str = ""
    source_path: str = ""
    metadata: Metadata = field(default_factory=dict)
    redact_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage of a document; `id` is derived from its content."""

    id: str
    document_id: str
    ordinal: int
    text: str
    section: str
    metadata: Metadata


@dataclass(frozen=True)
class Hit:
    """A chunk found by a search, with the backend's similarity score (higher is better)."""

    chunk_id: str
    score: float
    text: str = ""
    metadata: Metadata = field(default_factory=dict)
