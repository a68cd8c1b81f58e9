"""Typed values that flow through answerdesk: what is loaded, chunked, indexed and found."""

from __future__ import annotations

from collections.abc import Mapping
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


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, ranked, with the evidence of how it was found.

    `context` is the text the answer may use: the chunk, widened with its neighbours in the
    same section when a list of steps or a table was split across chunks.
    """

    chunk: Chunk
    score: float  # the fused score
    dense_score: float | None = None  # cosine similarity, when the dense search found it
    dense_rank: int | None = None  # the document's rank among documents (not chunks)
    keyword_score: float | None = None  # BM25, when the keyword search found it
    keyword_rank: int | None = None  # …in the keyword results
    context: str = ""
    more: tuple[Chunk, ...] = ()  # other retrieved chunks of the same document, best first

    @property
    def document_id(self) -> str:
        return self.chunk.document_id

    @property
    def title(self) -> str:
        return str(self.chunk.metadata.get("title", ""))

    @property
    def url(self) -> str:
        return str(self.chunk.metadata.get("url", ""))

    @property
    def kind(self) -> str:
        return str(self.chunk.metadata.get("kind", ""))

    @property
    def text(self) -> str:
        return self.context or self.chunk.text


@dataclass(frozen=True)
class Citation:
    n: int
    document_id: str
    title: str
    url: str
    section: str
    kind: str
    snippet: str


@dataclass(frozen=True)
class Answer:
    """What the assistant says to one question, and how sure it is."""

    text: str
    citations: list[Citation]
    confidence: float  # estimated probability the answer is correct and supported
    needs_handoff: bool  # below the confidence threshold: do not bluff
    grounded_share: float  # share of answer sentences supported by their cited passage
    query: str  # the standalone query that was searched
    passages: list[Passage]
    backend: str
    prompt_version: str
    abstained: bool = False
    features: dict[str, float] = field(default_factory=dict)
    related: list[Citation] = field(default_factory=list)  # closest articles, when unsure
    failure: str | None = None  # a dependency that failed (e.g. "backend_unavailable")
    # Why the output check withheld the draft (a link outside the knowledge base, a request for
    # credentials, a question carrying instructions for the assistant); empty when it did not.
    blocked: list[str] = field(default_factory=list)
    calibration: str = ""  # version of the calibration that scored it
    threshold: float = 0.0  # the operating point it was held to
    draft: str = ""  # the checked answer before the not-sure substitution (for evaluation)
    draft_citations: list[Citation] = field(default_factory=list)
    latency_ms: float = 0.0


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far, as the customer or the assistant said it."""

    speaker: Literal["user", "assistant", "agent"]
    text: str


@dataclass(frozen=True)
class GenerationRequest:
    question: str  # the customer's own words
    query: str  # the standalone question that was searched
    passages: list[Passage]  # numbered [1]..[n] in this order
    messages: list[Message]  # the rendered prompt, for backends that use one
    history: list[Turn] = field(default_factory=list)
    rarity: Mapping[str, float] = field(default_factory=dict)  # each word's, in the index


@dataclass(frozen=True)
class Draft:
    text: str  # with [n] markers referring to request.passages
    abstained: bool = False  # the generator itself said the passages do not answer it
