"""Train the anger head (draft: embedding stage)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.progress import Progress

from assistant.backends import make_embedder
from assistant.ports import Embedder, Vectors
from assistant.settings import Settings

REPO = Path(__file__).resolve().parents[1]
GOEMOTIONS = REPO.parent / "shared" / "data" / "goemotions-train.jsonl"


def load_rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def embed_cached(embedder: Embedder, texts: Sequence[str], cache_dir: Path) -> Vectors:
    digest = hashlib.sha256("\n".join([embedder.name, *texts]).encode()).hexdigest()[:16]
    cache = cache_dir / f"anger-embeddings-{digest}.npy"
    if cache.exists():
        return np.load(cache)
    parts = []
    with Progress() as progress:
        task = progress.add_task("embedding", total=len(texts))
        for start in range(0, len(texts), 256):
            batch = texts[start : start + 256]
            parts.append(embedder.embed(batch))
            progress.advance(task, len(batch))
    vectors = np.concatenate(parts).astype(np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


if __name__ == "__main__":
    settings = Settings()
    rows = load_rows(GOEMOTIONS)
    vectors = embed_cached(make_embedder(settings), [str(r["text"]) for r in rows],
                           settings.data_dir / "cache")
    print(vectors.shape)
