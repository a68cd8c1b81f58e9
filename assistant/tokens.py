"""Token counting for prompts with tiktoken, offline.

tiktoken fetches its encodings from the internet on first use. The `bpe-openai` package ships
the same files; we seed tiktoken's cache from it (checking each file's sha256) so
`tiktoken.get_encoding()` works on machines with no internet access.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
ENCODING = "o200k_base"


def seed_tiktoken_cache(cache_dir: Path | None = None) -> Path:
    """Write the shipped encodings where tiktoken looks for its cache; returns that folder."""
    cache = Path(cache_dir or Path(tempfile.gettempdir()) / "answerdesk-tiktoken")
    cache.mkdir(parents=True, exist_ok=True)
    data = resources.files("bpe_openai") / "data"
    for name, digest in _SHA256.items():
        target = cache / hashlib.sha1(_URL.format(name=name).encode()).hexdigest()
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
            continue
        raw = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
        if hashlib.sha256(raw).hexdigest() != digest:
            raise RuntimeError(f"the {name} encoding shipped in bpe-openai has an unexpected hash")
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


@functools.cache
def _encoding():  # type: ignore[no-untyped-def]
    seed_tiktoken_cache()
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def truncate(text: str, limit: int) -> str:
    tokens = _encoding().encode(text, disallowed_special=())
    if len(tokens) <= limit:
        return text
    return str(_encoding().decode(tokens[:limit])).rsplit(" ", 1)[0] + " …"


def fit_passages(texts: Sequence[str], budget: int) -> list[str]:
    """Passage texts, best first, within a token budget: the best passage keeps the most room."""
    sizes = [count_tokens(t) for t in texts]
    if sum(sizes) <= budget:
        return list(texts)
    out, left = [], budget
    for i, (text, size) in enumerate(zip(texts, sizes, strict=True)):
        share = left // (len(texts) - i) if i else max(left // 2, left // len(texts))
        allowed = max(min(size, share), 0)
        out.append(text if size <= allowed else truncate(text, allowed))
        left -= min(size, allowed)
    return out
