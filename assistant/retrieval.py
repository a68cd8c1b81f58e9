"""Hybrid retrieval: dense (vectors) + keyword (BM25) candidates, fused, one per document.

A document is scored by its best chunk in each search, which need not be the same chunk, and
answers from its best fused chunk.

Dense search runs unfiltered with a generous k and filters in Python, because a Chroma metadata
filter costs 10–25× a plain query; only when that leaves too few results does it ask Chroma to
filter. Fusion mixes the two searches' scores, each scaled to [0, 1] over its own candidates
(`fusion = "convex"`, the default), or their ranks (`"rrf"`); weights come from settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.grounding import resolution_of, resolution_vector
from assistant.index import LiveIndex
from assistant.ports import Embedder, Vectors, Where
from assistant.safety import strip_injections
from assistant.settings import Fusion, Settings
from assistant.text import CODE, LIST_ITEM, PROBLEM, content_words, expand
from assistant.types import Chunk, Hit, Metadata, Passage


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to what applies to this customer."""

    product_area: str | None = None
    # Who may read it: documents for any of these audiences (e.g. "all", "paid"); None = any.
    audiences: tuple[str, ...] | None = None
    locale: str | None = None
    kinds: tuple[str, ...] | None = None
    # Documents that may not be found: self-calibration's "close but not it" probes leave the
    # probe's own page out (assistant/probes.py).
    exclude: frozenset[str] = frozenset()

    def matches(self, metadata: Metadata) -> bool:
        if self.product_area and metadata.get("product_area") != self.product_area:
            return False
        if self.locale and metadata.get("locale", "en") != self.locale:
            return False
        if self.kinds and metadata.get("kind") not in self.kinds:
            return False
        if self.audiences is not None:
            value = metadata.get("audience") or ["all"]
            audience = value if isinstance(value, list) else [str(value)]
            if not set(audience) & set(self.audiences):
                return False
        return True

    def where(self) -> Where | None:
        clauses: list[Where] = []
        if self.product_area:
            clauses.append({"product_area": self.product_area})
        if self.locale:
            clauses.append({"locale": self.locale})
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if self.audiences is not None:
            either: list[Where] = [{"audience": {"$contains": a}} for a in self.audiences]
            clauses.append(either[0] if len(either) == 1 else {"$or": either})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    @property
    def active(self) -> bool:
        return bool(self.product_area or self.audiences is not None or self.locale or self.kinds)


@dataclass(frozen=True)
class Fused:
    chunk_id: str
    dense_part: float  # this chunk's weighted share of `score` from dense search
    keyword_part: float  # and from keyword search
    dense_score: float | None
    dense_rank: int | None
    keyword_score: float | None
    keyword_rank: int | None

    @property
    def score(self) -> float:
        return self.dense_part + self.keyword_part


def fuse(
    dense: Sequence[Hit],
    keyword: Sequence[Hit],
    dense_weight: float,
    keyword_weight: float,
    method: Fusion = "convex",
    k: int = 60,
) -> list[Fused]:
    """Weighted fusion of the two result lists.

    `convex`: each search's scores scaled to [0, 1] over its own candidates (min-max), then
    mixed by weight. How far apart the scores are counts: an FAQ far closer in meaning than
    anything else (cosine 0.51 against 0.39) is not outvoted by a page that only shares a
    keyword. `rrf`: reciprocal rank fusion, ranks only (with k = 60 the first and the
    twentieth keyword hit differ by a quarter).
    """
    found: dict[str, dict[str, float | int]] = {}
    for rank, hit in enumerate(dense, start=1):
        found.setdefault(hit.chunk_id, {}).update(dense_score=hit.score, dense_rank=rank)
    for rank, hit in enumerate(keyword, start=1):
        found.setdefault(hit.chunk_id, {}).update(keyword_score=hit.score, keyword_rank=rank)
    if method == "convex":
        share = (dense_weight + keyword_weight) or 1.0
        dense_part, keyword_part = _scaled(dense), _scaled(keyword)
    else:
        share = 1.0
        dense_part, keyword_part = _reciprocal(dense, k), _reciprocal(keyword, k)
    fused = []
    for chunk_id, e in found.items():
        fused.append(
            Fused(
                chunk_id,
                dense_weight / share * dense_part.get(chunk_id, 0.0),
                keyword_weight / share * keyword_part.get(chunk_id, 0.0),
                float(e["dense_score"]) if "dense_score" in e else None,
                int(e["dense_rank"]) if "dense_rank" in e else None,
                float(e["keyword_score"]) if "keyword_score" in e else None,
                int(e["keyword_rank"]) if "keyword_rank" in e else None,
            )
        )
    return sorted(fused, key=lambda f: (-f.score, f.chunk_id))


def _scaled(hits: Sequence[Hit]) -> dict[str, float]:
    """Each hit's score scaled to [0, 1] over the list (all 1 when they are equal)."""
    if not hits:
        return {}
    low, high = min(h.score for h in hits), max(h.score for h in hits)
    return {h.chunk_id: (h.score - low) / (high - low) if high > low else 1.0 for h in hits}


def _reciprocal(hits: Sequence[Hit], k: int) -> dict[str, float]:
    """Each hit's reciprocal rank, 1 / (k + rank)."""
    return {h.chunk_id: 1 / (k + rank) for rank, h in enumerate(hits, start=1)}


def document_ranks(hits: Sequence[Hit], chunks: dict[str, Chunk]) -> dict[str, int]:
    """Each document's rank in a result list, counting each document once (at its best chunk):
    a long article's many chunks do not push the next document down."""
    ranks: dict[str, int] = {}
    for hit in hits:
        ranks.setdefault(chunks[hit.chunk_id].document_id, len(ranks) + 1)
    return ranks


def document_scores(fused: Sequence[Fused], chunks: dict[str, Chunk]) -> dict[str, float]:
    """Each document's fused score from its best chunk in each search, which need not be the
    same chunk: an article whose overview is closest in meaning and whose later section holds
    the question's words matches on both counts, as a whole document should."""
    dense: dict[str, float] = {}
    keyword: dict[str, float] = {}
    for f in fused:
        doc = chunks[f.chunk_id].document_id
        dense[doc] = max(dense.get(doc, 0.0), f.dense_part)
        keyword[doc] = max(keyword.get(doc, 0.0), f.keyword_part)
    return {doc: dense[doc] + keyword[doc] for doc in dense}


def merge_texts(chunks: Sequence[Chunk]) -> str:
    """Join neighbouring chunks, dropping the lines a chunk repeats from the one before. Chunks
    that share no lines and meet at a block boundary keep it: a paragraph after a list stays a
    paragraph, not a part of the list's last step."""
    merged: list[str] = []
    for chunk in chunks:
        lines = chunk.text.splitlines()
        overlap = 0
        for size in range(min(len(lines), len(merged)), 0, -1):
            if merged[-size:] == lines[:size]:
                overlap = size
                break
        if merged and not overlap and lines and _new_block(merged[-1], lines[0]):
            merged.append("")
        merged.extend(lines[overlap:])
    return "\n".join(merged)


def _new_block(last: str, first: str) -> bool:
    """Whether a chunk's first line starts another block than the line before it ends: all but
    the next item of a list or the next row of a table (a chunk may end mid-list)."""
    if not last.strip() or not first.strip():
        return False
    if _in_list(last) and _in_list(first):
        return False
    return not (last.lstrip().startswith("|") and first.lstrip().startswith("|"))


def _in_list(line: str) -> bool:
    """A list item, or the indented next line of one."""
    return bool(LIST_ITEM.match(line)) or line.startswith((" ", "\t"))


class Retriever:
    def __init__(self, index: LiveIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def search(
        self,
        query: str,
        filters: Filters | None = None,
        k: int | None = None,
        vector: Vectors | None = None,
    ) -> list[Passage]:
        k = k or self.settings.retrieval_k
        filters = filters or Filters()
        pool = self.settings.retrieval_candidates
        if vector is None:
            vector = self.embedder.embed([query])[0]
        dense = self.index.vectors.query(vector, pool)
        keyword = self.index.keywords.query(f"{query} {expand(query)}", pool)
        chunks = self.index.chunks({h.chunk_id for h in dense} | {h.chunk_id for h in keyword})

        def usable(hits: list[Hit]) -> list[Hit]:
            return [
                h
                for h in hits
                if h.chunk_id in chunks
                and chunks[h.chunk_id].document_id not in filters.exclude
                and filters.matches(chunks[h.chunk_id].metadata)
            ]

        dense, keyword = usable(dense), usable(keyword)
        if filters.active and len(dense) < k:
            # Selective filter: let the vector store filter (slower, but complete).
            extra = self.index.vectors.query(vector, pool, where=filters.where())
            chunks |= self.index.chunks(h.chunk_id for h in extra if h.chunk_id not in chunks)
            seen = {h.chunk_id for h in dense}
            dense = sorted(
                dense + [h for h in usable(extra) if h.chunk_id not in seen],
                key=lambda h: -h.score,
            )
        fused = fuse(
            dense,
            keyword,
            self.settings.fusion_dense_weight,
            self.settings.fusion_keyword_weight,
            self.settings.fusion,
        )
        # One passage per document, so the top results are distinct sources; the document's
        # other good chunks ride along for the answer to use.
        best: dict[str, Passage] = {}
        more: dict[str, list[Chunk]] = {}
        case_weight = self.settings.fusion_case_weight
        dense_ranks, keyword_ranks = document_ranks(dense, chunks), document_ranks(keyword, chunks)
        scores = document_scores(fused, chunks)
        for f in fused:
            chunk = chunks[f.chunk_id]
            doc = chunk.document_id
            if doc in best:
                more[doc].append(chunk)
                continue
            weight = case_weight if chunk.metadata.get("kind") == "case" else 1.0
            best[doc] = Passage(
                chunk,
                scores[doc] * weight,
                f.dense_score,
                dense_ranks.get(doc),
                f.keyword_score,
                keyword_ranks.get(doc),
            )
            more[doc] = []
        ranked = sorted(best.values(), key=lambda p: -p.score)[:k]
        return [replace(p, more=tuple(more[p.document_id][:2])) for p in ranked]

    def guided(
        self, passages: Sequence[Passage], n: int, filters: Filters | None = None
    ) -> list[Passage]:
        """The `n` passages an answer reads, led by the help center's guidance: when a past case
        matched best, the article or FAQ its agent-written resolution points to goes first (the
        case then supports it as a note). A case matches a customer's story closely, but its
        details are another customer's; the guidance it applied is everyone's. A document the
        question itself did not find is not that guidance: the resolution only resembles it."""
        top = list(passages[:n])
        filters = filters or Filters()
        guidance_kinds = tuple(k for k in filters.kinds or ("article", "faq") if k != "case")
        resolution = resolution_of(top[0]) if top and top[0].kind == "case" else ""
        if not resolution or not guidance_kinds:
            return top
        where = replace(filters, kinds=guidance_kinds)
        stored = resolution_vector(top[0])
        hits = self.index.remember(
            ("guidance", resolution, where),
            lambda: tuple(self.search(resolution, where, k=1, vector=stored)),
        )
        if not hits:
            return top
        same = [p for p in passages if p.document_id == hits[0].document_id]
        if not same:
            return top  # the question did not find it at all: the resolution points elsewhere
        # The section the resolution applied, scored as the question found its document.
        guidance = replace(
            hits[0],
            dense_score=same[0].dense_score,
            dense_rank=same[0].dense_rank,
            keyword_score=same[0].keyword_score,
            keyword_rank=same[0].keyword_rank,
        )
        return [guidance, *(p for p in top if p.document_id != guidance.document_id)][:n]

    def widen(self, passage: Passage, question: str = "") -> Passage:
        """What the answer may read: the chunk with its neighbours in the same section (a split
        list of steps or table is whole again), then the document's next-best chunk. A how-to
        `question` whose article was found by its overview also gets the article's steps that
        are about it: "how do I connect my bank?" is answered by the steps, not the intro. A
        question naming an error code gets the section whose heading names it, with its
        subsections (the causes and the fix), as far as the chunk found does not hold them."""
        own = merge_texts(self.index.neighbours(passage.chunk))
        more = passage.more
        chunks: list[Chunk] | None = None  # the document's, read once when needed

        def document() -> list[Chunk]:
            nonlocal chunks
            if chunks is None:
                chunks = self.index.document_chunks(passage.document_id)
            return chunks

        if (
            question
            and passage.kind == "article"
            and (_HOW_TO.search(question) or PROBLEM.search(question))
            and not any(_FIRST_STEP.search(t) for t in [own, *(c.text for c in more)])
        ):
            steps = steps_about(document(), question)
            if steps is not None and steps.section != passage.chunk.section:
                more = (steps, *more)
        codes = set(CODE.findall(question))
        if codes and passage.kind == "article":
            named = section_naming([c for c in document() if c.text not in own], codes)
            if named is not None:
                more = (named, *(c for c in more if _top(c.section) != named.section))
        parts = [own, *(c.text for c in more[:1] if c.text not in own)]
        # Checked part by part: the same parts come back turn after turn, in ever new pairs,
        # and each one's check is remembered (whole documents were checked at ingest).
        context = "\n\n".join(strip_injections(part) for part in parts)
        return replace(passage, context=context, more=more)


_HOW_TO = re.compile(r"\bhow (?:do|can|to|should|would)\b|\bwhere (?:do|can) (?:i|we)\b", re.I)
_FIRST_STEP = re.compile(r"(?m)^\s*1[.)]\s")


def steps_about(chunks: Sequence[Chunk], question: str) -> Chunk | None:
    """The document's section of numbered steps sharing most words with `question` (at least
    one), merged into one chunk; None when no section of steps is about it."""
    words = set(content_words(question))
    sections: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        sections.setdefault(chunk.section, []).append(chunk)
    best: tuple[int, Chunk] | None = None
    for section, members in sections.items():
        text = merge_texts(members)
        overlap = len(words & set(content_words(f"{section} {text}")))
        if _FIRST_STEP.search(text) and overlap and (best is None or overlap > best[0]):
            best = (overlap, replace(members[0], text=text))
    return best[1] if best else None


def section_naming(chunks: Sequence[Chunk], codes: set[str]) -> Chunk | None:
    """The document's first section whose heading names one of `codes`, with its subsections,
    merged into one chunk; None when no heading names them."""
    named = [c for c in chunks if codes & set(CODE.findall(c.section))]
    if not named:
        return None
    top = _top(named[0].section)
    subsections: dict[str, list[Chunk]] = {}
    for chunk in named:
        if _top(chunk.section) == top:
            subsections.setdefault(chunk.section, []).append(chunk)
    text = "\n\n".join(merge_texts(group) for group in subsections.values())
    return replace(named[0], text=text, section=top)


def _top(section: str) -> str:
    """The top-level heading of a section path ("Error X > Fix and resend" → "Error X")."""
    return section.split(" > ")[0]
