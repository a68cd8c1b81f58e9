"""What the retrieval benchmark compares: our retriever fused, dense-only and keyword-only (the
other fusion weight at 0), and the plain LangChain retriever a user would otherwise build
(langchain-chroma's `Chroma(...).as_retriever(k=5)` over the same collection, same MiniLM).
Recall@5 counts a question as found when any expected document is among the top-5 distinct
documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStoreRetriever

from assistant.index import LiveIndex
from assistant.ports import Embedder, Vectors
from assistant.retrieval import Retriever
from assistant.settings import Settings
from benchmarks.retrieval_corpus import chroma_client

K = 5


class MiniLmEmbeddings(Embeddings):
    """Our bundled MiniLM as a LangChain `Embeddings` (nothing is downloaded)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in v] for v in self._embedder.embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._embedder.embed([text])[0]]


def langchain_retriever(settings: Settings, collection: str, embedder: Embedder) -> Any:
    """langchain-chroma over the very collection the live index reads."""
    from langchain_chroma import Chroma

    store = Chroma(
        collection_name=collection,
        embedding_function=MiniLmEmbeddings(embedder),
        client=chroma_client(settings),
        create_collection_if_not_exists=False,
    )
    retriever: VectorStoreRetriever = store.as_retriever(search_kwargs={"k": K})
    return retriever


def baseline_documents(retriever: Any, question: str) -> list[str]:
    """Distinct document ids of the retrieved chunks, best first."""
    found: list[str] = []
    for doc in retriever.invoke(question):
        doc_id = str(doc.metadata.get("document_id", ""))
        if doc_id not in found:
            found.append(doc_id)
    return found


class CachedEmbedder:
    """Untimed recall runs embed each question once."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.name, self.dimension = embedder.name, embedder.dimension
        self.max_tokens = embedder.max_tokens
        self._cache: dict[str, Vectors] = {}

    def embed(self, texts: Sequence[str]) -> Vectors:
        key = "\x00".join(texts)
        if key not in self._cache:
            self._cache[key] = self._embedder.embed(texts)
        return self._cache[key]

    def count_tokens(self, text: str) -> int:
        return self._embedder.count_tokens(text)


def recall_at_k(ranked: dict[str, list[str]], expected: dict[str, set[str]]) -> float:
    hits = [bool(set(ranked[case][:K]) & sources) for case, sources in expected.items()]
    return sum(hits) / len(hits) if hits else 0.0


def recall_ablation(
    index: LiveIndex,
    settings: Settings,
    embedder: CachedEmbedder,
    baseline: Any,
    questions: dict[str, str],
    expected: dict[str, set[str]],
) -> dict[str, float]:
    """Recall@5 of fused (what answer() retrieves for a first message), dense-only and
    keyword-only (the other fusion weight at 0), and of the baseline. Untimed, so each
    question is embedded once and reused."""
    variants = {"fused": {}, "dense": {"fusion_keyword_weight": 0.0},
                "keyword": {"fusion_dense_weight": 0.0}}  # fmt: skip
    recall: dict[str, float] = {}
    for name, update in variants.items():
        retriever = Retriever(index, embedder, settings.model_copy(update=update))
        ranked = {c: [p.document_id for p in retriever.search(questions[c])] for c in expected}
        recall[name] = recall_at_k(ranked, expected)
    ranked = {c: baseline_documents(baseline, questions[c]) for c in expected}
    recall["baseline"] = recall_at_k(ranked, expected)
    return recall
