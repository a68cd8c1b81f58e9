"""Prompt token counting works offline, from the encodings shipped in `bpe-openai`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assistant.tokens import count_tokens, fit_passages, seed_tiktoken_cache


def test_the_cache_is_seeded_with_verified_files(tmp_path: Path) -> None:
    cache = seed_tiktoken_cache(tmp_path / "cache")
    files = list(cache.iterdir())
    assert len(files) == 2
    names = {
        hashlib.sha1(
            f"https://openaipublic.blob.core.windows.net/encodings/{n}.tiktoken".encode()
        ).hexdigest()
        for n in ("cl100k_base", "o200k_base")
    }
    assert {f.name for f in files} == names


def test_tokens_are_counted_and_passages_fit_the_budget() -> None:
    assert count_tokens("hello world") == 2
    fitted = fit_passages(["word " * 400] * 3, budget=300)
    assert sum(count_tokens(t) for t in fitted) <= 300 + 3 * 3  # "…" may add a token or two
    assert count_tokens(fitted[0]) >= count_tokens(fitted[2])  # the best passage keeps most
