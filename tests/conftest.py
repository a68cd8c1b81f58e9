"""Shared fixtures: every test gets its own data dir; the real embedding model loads once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.backends import make_embedder
from assistant.ports import Embedder
from assistant.settings import Settings
from ingest.sync import Indexer, SyncReport

REPO = Path(__file__).resolve().parents[1]
SAMPLE_KB = REPO / "data" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they pass: no ANSWERDESK_* variables, no .env file."""
    for key in list(os.environ):
        if key.startswith("ANSWERDESK_"):
            monkeypatch.delenv(key)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return make_embedder(Settings())


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    return root


@pytest.fixture
def settings(tmp_path: Path, kb: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", sources=[kb])


WriteFiles = Callable[..., None]


@pytest.fixture
def write(kb: Path) -> WriteFiles:
    """write("articles/a.md", "text", ...) — dedented files under the test's knowledge base."""

    def _write(*pairs: str | bytes) -> None:
        for name, content in zip(pairs[::2], pairs[1::2], strict=True):
            path = kb / str(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip(), encoding="utf-8")

    return _write


@pytest.fixture
def indexer(settings: Settings, embedder: Embedder) -> Iterator[Indexer]:
    indexer = Indexer(settings, embedder)
    yield indexer
    indexer.close()


@pytest.fixture(scope="session")
def sample_index(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[tuple[Settings, SyncReport]]:
    """The whole sample knowledge base, indexed once for the session."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("sample") / "data", sources=[SAMPLE_KB])
    indexer = Indexer(settings, embedder)
    report = indexer.sync()
    indexer.close()
    yield settings, report


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on loopback, for the `HttpClient` backend."""
    binary = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert binary, "the `chroma` command ships with chromadb; reinstall with `make setup`"
    port = free_port()
    log = tmp_path_factory.mktemp("chroma-server") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                binary,
                "run",
                "--path",
                str(log.parent / "db"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
