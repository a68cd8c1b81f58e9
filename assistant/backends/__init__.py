"""Backends for the seams in `assistant.ports`, chosen by `Settings`."""

from __future__ import annotations

from assistant.ports import ChatModel, Embedder, VectorIndex
from assistant.settings import Settings


def make_embedder(settings: Settings) -> Embedder:
    from assistant.backends.sentence_embedder import load_sentence_embedder

    return load_sentence_embedder(
        settings.embedding_model, settings.embedding_batch_size, settings.torch_threads
    )


def make_vector_index(settings: Settings, collection: str) -> VectorIndex:
    from assistant.backends.chroma_index import ChromaIndex

    return ChromaIndex.open(collection, path=settings.index_dir / "chroma", url=settings.chroma_url)


def make_chat_model(settings: Settings) -> ChatModel:
    if settings.chat_backend == "openai":
        from assistant.backends.openai_chat import OpenAIChat

        return OpenAIChat.from_settings(settings)
    if settings.chat_backend == "local":
        from assistant.backends.llama_local import LocalLlama

        return LocalLlama.from_settings(settings)
    from assistant.backends.extractive import ExtractiveComposer

    return ExtractiveComposer()
