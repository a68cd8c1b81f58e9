"""Documents → chunks, bounded by the embedding model's own token limit.

Articles are split on headings; each chunk keeps its heading path as `section`. Blocks (a list
of steps, a code block, a table, a paragraph) are packed whole and only cut when a single block
is larger than a chunk, with a small overlap between the pieces. An FAQ pair is one chunk; a
case is one chunk of problem + resolution (both searched), whose metadata carries the
agent-written resolution on its own: the only part of a case an answer may quote. Chunk ids
hash the content, so an unchanged chunk keeps its id (and its vector) across syncs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

from assistant.text import RESOLUTION_FIELD, SENTENCE_END, Block, parse_blocks
from assistant.types import Chunk, Document

CHUNKER_VERSION = "1"
TokenCounter = Callable[[str], int]


def _units(block: Block) -> list[str]:
    """The pieces a too-large block may be cut into: items, rows, lines or sentences."""
    if block.kind == "list":
        return [u for u in re.split(r"\n(?=\s*(?:[-*+]|\d+[.)])\s)", block.text) if u.strip()]
    if block.kind in {"table", "code"}:
        return block.text.splitlines()
    return [u for u in SENTENCE_END.split(block.text) if u.strip()]


def _hard_split(text: str, budget: int, count: TokenCounter) -> Iterator[str]:
    """Last resort for a single unit over budget: cut by words."""
    words, piece = text.split(" "), ""
    for word in words:
        candidate = f"{piece} {word}".strip()
        if piece and count(candidate) > budget:
            yield piece
            piece = word
        else:
            piece = candidate
    if piece:
        yield piece


def _pack(pieces: list[str], budget: int, overlap: int, count: TokenCounter, sep: str) -> list[str]:
    """Greedily pack pieces into texts of at most `budget` tokens; carry a small overlap."""
    out: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if count(piece) > budget:
            if current:
                out.append(sep.join(current))
                current = []
            out.extend(_hard_split(piece, budget, count))
            continue
        if current and count(sep.join([*current, piece])) > budget:
            out.append(sep.join(current))
            tail = current[-1]
            current = (
                [tail]
                if overlap and count(tail) <= overlap and count(tail + sep + piece) <= budget
                else []
            )
        current.append(piece)
    if current:
        out.append(sep.join(current))
    return out


def _sections(blocks: list[Block], title: str) -> Iterator[tuple[str, list[Block]]]:
    path: list[tuple[int, str]] = []
    content: list[Block] = []
    for block in blocks:
        if block.kind == "heading":
            if content:
                yield " > ".join(t for _, t in path), content
                content = []
            if block.level == 1 and block.text.strip().lower() == title.strip().lower():
                continue  # the page title again, not a section
            path = [(lvl, t) for lvl, t in path if lvl < block.level] + [(block.level, block.text)]
        else:
            content.append(block)
    if content:
        yield " > ".join(t for _, t in path), content


def _section_texts(
    blocks: list[Block], budget: int, overlap: int, count: TokenCounter
) -> list[str]:
    pieces: list[str] = []
    for block in blocks:
        if count(block.text) <= budget:
            pieces.append(block.text)
        else:
            sep = "\n" if block.kind in {"list", "table", "code"} else " "
            parts = _pack(_units(block), budget, overlap, count, sep)
            if block.kind == "code":  # keep each piece a valid fenced block
                parts = [p if p.startswith("```") else "```\n" + p for p in parts]
                parts = [p if p.rstrip().endswith("```") else p + "\n```" for p in parts]
            pieces.extend(parts)
    return _pack(pieces, budget, overlap, count, "\n\n")


def _header(document: Document, section: str) -> str:
    return f"{document.title}\n{section}".strip()


def embedding_text(title: str, section: str, text: str) -> str:
    """What is embedded and keyword-indexed: the passage with its title and heading path."""
    return "\n".join(p for p in (title, section, text) if p)


def _article_parts(
    document: Document, max_tokens: int, overlap: int, count: TokenCounter
) -> Iterator[tuple[str, str]]:
    for section, blocks in _sections(parse_blocks(document.text), document.title):
        budget = max(32, max_tokens - count(_header(document, section)) - 2)
        for text in _section_texts(blocks, budget, overlap, count):
            yield section, text


def _case_parts(
    document: Document, max_tokens: int, count: TokenCounter
) -> Iterator[tuple[str, str]]:
    # The problem as the loader wrote it (up to its own "## Resolution"), and the resolution
    # from its metadata field: a heading typed by the customer cannot move the boundary.
    problem = document.text.split("## Problem", 1)[-1].rsplit("\n## Resolution\n", 1)[0].strip()
    resolution = str(document.metadata.get(RESOLUTION_FIELD) or "").strip()
    budget = max(32, max_tokens - count(document.title) - 2)
    resolution_text = f"Resolution: {resolution}"
    room = budget - count(resolution_text) - 4
    problem_text = "Problem: " + problem
    if count(problem_text) > room:  # keep the resolution whole; trim the problem to fit
        kept = next(_hard_split(problem_text, max(room, 16), count), problem_text)
        problem_text = kept.rstrip() + " …"
    text = f"{problem_text}\n\n{resolution_text}"
    if count(text) > budget:
        yield from (("", piece) for piece in _hard_split(text, budget, count))
    else:
        yield "", text


def chunk_document(
    document: Document, count: TokenCounter, max_tokens: int, overlap: int
) -> list[Chunk]:
    if document.kind == "article":
        parts = list(_article_parts(document, max_tokens, overlap, count))
    elif document.kind == "case":
        parts = list(_case_parts(document, max_tokens, count))
    else:
        budget = max(32, max_tokens - count(document.title) - 2)
        parts = [
            ("", t) for t in _pack(SENTENCE_END.split(document.text), budget, overlap, count, " ")
        ]
    metadata = {
        **document.metadata,
        "kind": document.kind,
        "title": document.title,
        "url": document.url,
        "updated_at": document.updated_at,
    }
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for ordinal, (section, text) in enumerate(parts):
        digest = hashlib.sha256(f"{document.id}\x1f{section}\x1f{text}".encode()).hexdigest()[:24]
        chunk_id = digest if digest not in seen else f"{digest}-{ordinal}"
        seen.add(chunk_id)
        chunks.append(Chunk(chunk_id, document.id, ordinal, text, section, dict(metadata)))
    return chunks
