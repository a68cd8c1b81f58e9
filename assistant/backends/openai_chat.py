"""The `ChatModel` for any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp
server), through langchain-openai. Timeouts and retries come from settings."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from assistant.types import Draft, GenerationRequest, Message

# What models say when the passages do not answer (the system prompt asks for "I don't know").
_ABSTAIN = re.compile(
    r"^\W*(?:i don'?t know|i do not know|not in (?:the )?(?:sources|passages)|not_in_sources)\b",
    re.I,
)


def to_langchain(messages: Sequence[Message]) -> list[tuple[str, str]]:
    return [
        ("human" if m.role == "user" else "ai" if m.role == "assistant" else "system", m.content)
        for m in messages
    ]


def draft_from(text: str) -> Draft:
    text = text.strip()
    if not text or _ABSTAIN.search(text):
        return Draft("", abstained=True)
    return Draft(text)


class OpenAIChat:
    name = "openai"

    def __init__(self, client: Any, max_tokens: int, compatible_server: bool = False) -> None:
        self._client = client
        self._max_tokens = max_tokens
        self._compatible_server = compatible_server  # not OpenAI's own API: see `limit`

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChat:
        from langchain_openai import ChatOpenAI

        if not settings.openai_base_url and settings.openai_api_key.get_secret_value() in {
            "",
            "not-needed",
        }:
            raise AnswerdeskError(
                ErrorCode.CONFIGURATION,
                "the openai backend needs ANSWERDESK_OPENAI_BASE_URL (an OpenAI-compatible "
                "server) or ANSWERDESK_OPENAI_API_KEY (for OpenAI itself)",
            )
        client = ChatOpenAI(
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            temperature=0,
        )
        host = urlparse(settings.openai_base_url or "").hostname or ""
        compatible = bool(host) and not host.endswith(("openai.com", "openai.azure.com"))
        return cls(client, settings.llm_max_tokens, compatible_server=compatible)

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        reply = self._client.invoke(to_langchain(messages), **self.limit(max_tokens))
        return str(reply.content)

    def generate(self, request: GenerationRequest) -> Draft:
        return draft_from(self.complete(request.messages, self._max_tokens) or "")

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        for chunk in self._client.stream(
            to_langchain(request.messages), **self.limit(self._max_tokens)
        ):
            if chunk.content:
                yield str(chunk.content)

    def limit(self, max_tokens: int) -> dict[str, Any]:
        """The token limit, under the name the server reads. langchain-openai sends it only as
        `max_completion_tokens`, OpenAI's current name (its reasoning models refuse the old
        one), which the llama.cpp Python server and other OpenAI-compatible servers ignore: a
        small model then writes until its context is full (measured: answers of up to 84 s
        where 300 tokens take ~13 s). Those servers read `max_tokens`, so it goes to them too."""
        extra = {"extra_body": {"max_tokens": max_tokens}} if self._compatible_server else {}
        return {"max_tokens": max_tokens, **extra}
