"""Backends for the seams in `assistant.ports`, chosen by `Settings`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.ports import ChatModel, Embedder, KeywordIndex, VectorIndex
from assistant.settings import Settings
from assistant.types import Draft


def make_embedder(settings: Settings) -> Embedder:
    from assistant.backends.sentence_embedder import load_sentence_embedder

    return load_sentence_embedder(
        settings.embedding_model,
        settings.embedding_batch_size,
        settings.torch_threads,
        settings.embed_coalesce,
        settings.embed_cache_size,
        settings.model_cache_dir if settings.embedding_runtime == "onnx" else None,
    )


def make_vector_index(settings: Settings, collection: str) -> VectorIndex:
    from assistant.backends.chroma_index import ChromaIndex

    return ChromaIndex.open(
        collection,
        path=settings.index_dir / "chroma",
        url=settings.chroma_url,
        timeout=settings.chroma_timeout_seconds,
    )


def make_chat_model(settings: Settings) -> ChatModel:
    if settings.chat_backend == "openai":
        from assistant.backends.openai_chat import OpenAIChat

        return OpenAIChat.from_settings(settings)
    if settings.chat_backend == "local":
        from assistant.backends.llama_local import LocalLlama

        return LocalLlama.from_settings(settings)
    from assistant.backends.extractive import ExtractiveComposer

    return ExtractiveComposer()


def make_extractive() -> ChatModel:
    """The extractive composer: the default, and the fallback when a language model fails."""
    from assistant.backends.extractive import ExtractiveComposer

    return ExtractiveComposer()


def language_model(model: ChatModel) -> ChatModel | None:
    """`model` when it is a language model; None for the extractive composer, which only
    quotes (no query rewriting, no written summaries, nothing to stream)."""
    return None if model.name == "extractive" else model


def parse_draft(text: str) -> Draft:
    """A language model's full reply as a draft (an abstention when it says it cannot tell)."""
    from assistant.backends.openai_chat import draft_from

    return draft_from(text)


def load_keyword_index(path: Path) -> KeywordIndex:
    from assistant.backends.bm25_index import Bm25Index

    return Bm25Index.load(path)


def keyword_version() -> str:
    """Bumped when tokenization changes: keyword indexes are rebuilt on the next sync."""
    from assistant.backends.bm25_index import KEYWORD_VERSION

    return KEYWORD_VERSION


def vector_collections(path: Path, url: str | None) -> list[str]:
    from assistant.backends.chroma_index import collection_names

    return list(collection_names(path, url))


def build_keyword_index(ids: Sequence[str], texts: Sequence[str]) -> KeywordIndex:
    from assistant.backends.bm25_index import Bm25Index

    return Bm25Index.build(ids, texts)
