"""A sentence-transformers model's transformer run by ONNX Runtime instead of PyTorch.

The same weights, exported once from the local model into a cache folder (nothing is
downloaded) and checked against PyTorch before use: the vectors agree to about 1e-7. A turn's
texts are short, and for them PyTorch's per-call overhead dominates: embedding one ~25-word
question cost 17.6 ms of CPU on PyTorch and 8.3 ms on ONNX Runtime (MiniLM, 1 thread, measured
here). Long texts (ingestion) cost the same on both.

Only the pipeline the bundled MiniLM has is exported: a transformer, mean pooling and (as
every caller asks) unit length. Any other model, or a failed export or check, stays on
PyTorch (`load()` returns None and says why in the log).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.ports import Vectors

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

log = logging.getLogger("answerdesk.embedder")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# How far an exported model's vectors may stray from PyTorch's before it is not used.
TOLERANCE = 1e-4
CHECK_TEXTS = ("How do I reconnect my bank?", "Invoices sent by email show a Pay now link.")


class OnnxEncoder:
    def __init__(self, model: SentenceTransformer, path: Path, threads: int | None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: ONNX Runtime's own choice
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._model = model
        self.dimension = int(model.get_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str], batch_size: int) -> Vectors:
        """Unit-length mean-pooled vectors. Texts of like length share a batch, so little
        padding is computed (as sentence-transformers does)."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out: Vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._pooled([texts[i] for i in chosen])
        return out

    def _pooled(self, texts: list[str]) -> Vectors:
        features = {k: v.numpy() for k, v in _tokens(self._model, texts).items()
                    if hasattr(v, "numpy")}  # fmt: skip
        blank = np.zeros_like(features["input_ids"])  # a tokenizer without segment ids
        feed = {name: features.get(name, blank) for name in self._inputs}
        hidden = self._session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


def load(
    model: SentenceTransformer, model_path: Path, cache_dir: Path, threads: int | None
) -> OnnxEncoder | None:
    """The model's ONNX encoder, exported into `cache_dir` on first use; None: use PyTorch."""
    if not _exportable(model):
        log.info("embedding model %s is not mean-pooled: it runs on PyTorch", model_path)
        return None
    path = cache_dir / f"{_key(model_path)}.onnx"
    problem = ""
    for _ in range(2):  # a damaged or stale file in the cache is made again, once
        try:
            if not path.exists():
                _export(model, path)
            encoder = OnnxEncoder(model, path, threads)
            if _agrees(encoder, model):
                return encoder
            problem = "its vectors disagree with PyTorch's"
        except Exception as error:  # a missing exporter, a full disk, an odd model: still works
            problem = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    log.warning("embedding on PyTorch: no ONNX model for %s (%s)", model_path, problem)
    return None


def _agrees(encoder: OnnxEncoder, model: SentenceTransformer) -> bool:
    expected = model.encode(list(CHECK_TEXTS), normalize_embeddings=True, show_progress_bar=False)
    return float(np.abs(encoder.encode(CHECK_TEXTS, 8) - expected).max()) <= TOLERANCE


def _tokens(model: SentenceTransformer, texts: list[str]) -> dict[str, torch.Tensor]:
    """The model's own tokenisation, truncation included (`preprocess` since
    sentence-transformers 6, `tokenize` before)."""
    prepare = getattr(model, "preprocess", None) or model.tokenize
    return dict(prepare(texts))


def _exportable(model: SentenceTransformer) -> bool:
    modules = list(model)
    if len(modules) < 2 or type(modules[0]).__name__ != "Transformer":
        return False
    pooling = modules[1]
    rest = {type(m).__name__ for m in modules[2:]}
    mode = getattr(pooling, "pooling_mode", None)  # sentence-transformers 6: a string
    mode = mode if isinstance(mode, str) else getattr(pooling, "get_pooling_mode_str", str)()
    return type(pooling).__name__ == "Pooling" and mode == "mean" and rest <= {"Normalize"}


def _key(model_path: Path) -> str:
    """Names the export after the weights and the libraries that made it: a new model or a
    new exporter makes a new file, never a stale one."""
    weights = sorted(p for p in model_path.rglob("*") if p.suffix in {".safetensors", ".bin"})
    stamp = [str(model_path.resolve())] + [f"{p.name}:{p.stat().st_size}" for p in weights]
    stamp += [version(name) for name in ("torch", "transformers", "onnxruntime")]
    return f"{model_path.name}-{hashlib.sha256('|'.join(stamp).encode()).hexdigest()[:16]}"


def _export(model: SentenceTransformer, path: Path) -> None:
    """Export to a temporary file beside `path`, then rename: workers starting together never
    read a half-written file."""
    import torch

    transformer = model[0].auto_model
    if not isinstance(transformer, torch.nn.Module):
        raise TypeError("the model's first module holds no transformer")
    transformer.eval()

    class Hidden(torch.nn.Module):
        inner: torch.nn.Module

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner  # a submodule: its weights are exported as such

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:  # fmt: skip
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return torch.as_tensor(out.last_hidden_state)

    sample = _tokens(model, list(CHECK_TEXTS))
    args = tuple(sample.get(name, torch.zeros_like(sample["input_ids"])) for name in INPUTS)
    axes = {name: {0: "batch", 1: "pieces"} for name in (*INPUTS, "hidden")}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.inference_mode(False):
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as fixed
            torch.onnx.export(
                Hidden(transformer), args, temporary, input_names=list(INPUTS),
                output_names=["hidden"], dynamic_axes=axes, opset_version=17, dynamo=False,
            )  # fmt: skip
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would keep it from other users' workers
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
