"""Past cases carry their resolution's vector into the index.

A turn led by a past case searches the articles and FAQs for the guidance that case's agent
applied, by its resolution's meaning. Embedding that resolution in the customer's request cost a
model pass per turn (a third of the turn's embedding time at 100k chunks); embedded once here,
beside the chunk's own vector, it is read with the chunk instead.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.grounding import pack_vector, resolution_text
from assistant.ports import Embedder
from assistant.text import RESOLUTION_VECTOR_FIELD
from assistant.types import Chunk

BATCH = 256  # resolutions per model call: bounded memory


def with_resolution_vectors(
    chunks: dict[str, list[Chunk]], embedder: Embedder
) -> dict[str, list[Chunk]]:
    """Each case chunk with its resolution's vector: a turn led by a past case then searches
    for the guidance that case applied without embedding the resolution in the request."""
    texts = sorted({resolution_text(c.metadata) for part in chunks.values() for c in part} - {""})
    if not texts:
        return chunks
    vectors = {
        text: pack_vector(vector)
        for start in range(0, len(texts), BATCH)
        for text, vector in zip(
            texts[start : start + BATCH],
            embedder.embed(texts[start : start + BATCH]),
            strict=True,
        )
    }

    def carrying(chunk: Chunk) -> Chunk:
        text = resolution_text(chunk.metadata)
        if not text:
            return chunk
        return replace(chunk, metadata={**chunk.metadata, RESOLUTION_VECTOR_FIELD: vectors[text]})

    return {doc_id: [carrying(c) for c in part] for doc_id, part in chunks.items()}
