"""Settings come from ANSWERDESK_* variables, and bad values fail with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import BUNDLED_MINILM, Settings


def test_defaults_work_offline_out_of_the_box() -> None:
    settings = Settings()
    assert settings.embedding_model == BUNDLED_MINILM
    assert settings.data_dir == Path(".answerdesk") and settings.chroma_url is None
    assert settings.index_dir == Path(".answerdesk/index")


def test_environment_variables_use_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSWERDESK_DATA_DIR", "/srv/answerdesk")
    monkeypatch.setenv("ANSWERDESK_SOURCES", '["/docs", "/exports"]')
    monkeypatch.setenv("ANSWERDESK_CHROMA_URL", "http://127.0.0.1:8001")
    settings = Settings()
    assert settings.data_dir == Path("/srv/answerdesk")
    assert settings.sources == [Path("/docs"), Path("/exports")]
    assert settings.chroma_url == "http://127.0.0.1:8001"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"chunk_max_tokens": 100, "chunk_overlap_tokens": 100}, "overlap"),
        ({"embedding_batch_size": 0}, "greater than or equal to 1"),
        ({"vector_backend": "faiss"}, "'chroma'"),
    ],
)
def test_invalid_values_are_rejected(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**overrides)  # type: ignore[arg-type]
