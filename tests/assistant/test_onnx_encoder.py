"""ONNX Runtime runs the bundled MiniLM with PyTorch's own vectors; anything it cannot run, or
a failed export, stays on PyTorch and still embeds."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.backends import make_embedder, onnx_encoder
from assistant.backends.sentence_embedder import SentenceEmbedder, resolve_model_path
from assistant.settings import BUNDLED_MINILM, Settings

TEXTS = [
    "hi",
    "my bank feed stopped updating and there's a warning saying BANK-102",
    "How do I give our accountant access? " * 40,  # longer than the model reads: truncated
    "Rechnung auf Deutsch? ¿Factura en español? 請求書",
    "",
]


def on_torch() -> SentenceEmbedder:
    return SentenceEmbedder(resolve_model_path(BUNDLED_MINILM), 2, False, 0)


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:  # type: ignore[type-arg]
    return on_torch()._encode(TEXTS)


def test_onnx_runtime_gives_the_pytorch_models_vectors(
    tmp_path: Path,
    torch_vectors: np.ndarray,  # type: ignore[type-arg]
) -> None:
    embedder = SentenceEmbedder(resolve_model_path(BUNDLED_MINILM), 2, False, 0, tmp_path, 1)
    assert embedder.runtime == "ONNX Runtime"
    # Batches of two out of five texts of very different lengths: order and padding hold.
    assert np.abs(embedder._encode(TEXTS) - torch_vectors).max() < 1e-5
    (exported,) = tmp_path.iterdir()  # nothing half-written is left beside it
    assert exported.suffix == ".onnx" and exported.stat().st_mode & 0o777 == 0o644


def test_the_export_is_made_once_and_then_read_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SentenceEmbedder(resolve_model_path(BUNDLED_MINILM), 8, False, 0, tmp_path)

    def no_second_export(*_: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_encoder, "_export", no_second_export)
    assert SentenceEmbedder(resolve_model_path(BUNDLED_MINILM), 8, False, 0, tmp_path)._onnx


def test_a_damaged_file_in_the_cache_is_exported_again(
    tmp_path: Path,
    torch_vectors: np.ndarray,  # type: ignore[type-arg]
) -> None:
    SentenceEmbedder(resolve_model_path(BUNDLED_MINILM), 8, False, 0, tmp_path)
    (exported,) = tmp_path.iterdir()
    exported.write_bytes(exported.read_bytes()[:1000])  # a copy cut short
    embedder = SentenceEmbedder(resolve_model_path(BUNDLED_MINILM), 8, False, 0, tmp_path)
    assert embedder._onnx is not None
    assert np.abs(embedder._encode(TEXTS) - torch_vectors).max() < 1e-5


def test_a_failed_export_leaves_the_embedder_on_pytorch(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    torch_vectors: np.ndarray,  # type: ignore[type-arg]
) -> None:
    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(onnx_encoder, "_export", full_disk)
    with caplog.at_level(logging.WARNING, "answerdesk.embedder"):
        embedder = SentenceEmbedder(resolve_model_path(BUNDLED_MINILM), 8, False, 0, tmp_path)
    assert embedder._onnx is None
    assert "No space left on device" in caplog.text
    assert np.abs(embedder._encode(TEXTS) - torch_vectors).max() < 1e-6


def test_a_model_that_is_not_mean_pooled_stays_on_pytorch(tmp_path: Path) -> None:
    model = tmp_path / "cls-pooled"
    shutil.copytree(resolve_model_path(BUNDLED_MINILM), model)
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    embedder = SentenceEmbedder(model, 8, False, 0, tmp_path / "cache")
    assert embedder._onnx is None
    assert not (tmp_path / "cache").exists()
    vector = embedder._encode(["how do I export invoices?"])
    assert vector.shape == (1, 384) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5


def test_the_runtime_is_a_setting(tmp_path: Path) -> None:
    torch_only = make_embedder(Settings(embedding_runtime="torch", model_cache_dir=tmp_path))
    assert isinstance(torch_only, SentenceEmbedder) and torch_only.runtime == "PyTorch"
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
