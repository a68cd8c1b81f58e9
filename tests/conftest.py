"""Shared fixtures: every test gets its own data dir; the real embedding model loads once."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assistant.anger import AngerDetector
from assistant.backends import make_embedder
from assistant.backends.extractive import ExtractiveComposer
from assistant.desk import HelpDesk
from assistant.index import LiveIndex
from assistant.ports import Embedder
from assistant.service import SupportAssistant, load_calibration
from assistant.settings import Settings
from assistant.store import SqlCaseStore, make_engine, upgrade
from ingest.sync import Indexer, SyncReport

# Read once at import: the autouse fixture below hides every ANSWERDESK_* variable from tests.
SKIP_LLM_TESTS = os.environ.get("ANSWERDESK_SKIP_LLM_TESTS") == "1"
POSTGRES_URL = os.environ.get("ANSWERDESK_TEST_POSTGRES_URL", "")
SKIP_POSTGRES = os.environ.get("ANSWERDESK_SKIP_POSTGRES_TESTS") == "1"

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
def sample_assistant(
    sample_index: tuple[Settings, SyncReport], embedder: Embedder
) -> Iterator[SupportAssistant]:
    """The extractive assistant over the sample knowledge base, as the server builds it."""
    settings, _ = sample_index
    assistant = SupportAssistant(
        settings,
        LiveIndex(settings),
        embedder,
        ExtractiveComposer(),
        load_calibration(settings),
        AngerDetector(embedder),
    )
    yield assistant
    assistant.index.close()


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


# Monday 2026-11-23 10:00 UTC: inside the default support hours (Mon–Fri 08:00–20:00 UTC).
OFFICE_HOURS = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def sample_desk(sample_assistant: SupportAssistant, tmp_path: Path) -> Iterator[HelpDesk]:
    """The help desk over the sample knowledge base with a fresh SQLite store, at a fixed clock
    inside support hours."""
    settings = sample_assistant.settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'desk.sqlite3'}"}
    )
    engine = make_engine(str(settings.database_url))
    upgrade(engine)
    clock = Clock(OFFICE_HOURS)  # the desk and the store read the same clock
    store = SqlCaseStore(engine, now=clock)
    yield HelpDesk(settings, store, sample_assistant, now=clock)
    store.close()


class Clock:
    """A clock tests set: `clock.at = ...`."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL of the test PostgreSQL whose search_path is a fresh schema, dropped afterwards.
    Fails, naming the variable, when ANSWERDESK_TEST_POSTGRES_URL is not set (a silent skip
    would hide an untested backend); ANSWERDESK_SKIP_POSTGRES_TESTS=1 skips deliberately."""
    if not POSTGRES_URL:
        if SKIP_POSTGRES:
            pytest.skip("ANSWERDESK_SKIP_POSTGRES_TESTS=1: the PostgreSQL backend is not tested")
        pytest.fail(
            "ANSWERDESK_TEST_POSTGRES_URL is not set: the store is tested against PostgreSQL "
            "too. Set it, e.g. ANSWERDESK_TEST_POSTGRES_URL="
            "postgresql+psycopg://postgres@127.0.0.1:5432/test, or set "
            "ANSWERDESK_SKIP_POSTGRES_TESTS=1 to skip the PostgreSQL half deliberately."
        )
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"ANSWERDESK_TEST_POSTGRES_URL={POSTGRES_URL} is not reachable: {exc}")
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
    command = [binary, "run", "--path", "DB", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    yield from serve(tmp_path_factory, "chroma-server", command, url, "/api/v2/heartbeat", 60)


def serve(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    command: list[str],
    url: str,
    ready_path: str,
    timeout: float,
) -> Iterator[str]:
    """Run a real server on loopback until the session ends: wait until `ready_path` answers,
    yield `url`, then stop it (killed if it will not stop). "DB" in `command` is replaced by a
    fresh folder for the server's data; its output goes to a log quoted when it fails."""
    folder = tmp_path_factory.mktemp(name)
    log = folder / "server.log"
    command = [str(folder / "db") if part == "DB" else part for part in command]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}{ready_path}", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{name} did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def require_llm(*modules: str) -> None:
    """Fail, loudly, when the `llm` extra is missing: a silent skip would hide a broken setup.

    With ANSWERDESK_SKIP_LLM_TESTS=1 the tests that need it are skipped instead.
    """
    from assistant.backends.llama_local import PART_PACKAGES

    missing = []
    for name in ("llama_cpp", *PART_PACKAGES, *modules):
        try:
            importlib.import_module(name)
        except Exception as exc:  # ImportError, or OSError when libllama cannot load
            missing.append(f"{name} ({type(exc).__name__}: {exc})")
    if not missing:
        return
    reason = (
        "the local LLM (the `llm` extra) is not installed: run `make setup-llm` "
        "(or set ANSWERDESK_SKIP_LLM_TESTS=1 to skip these tests); cannot import "
        + "; ".join(missing)
    )
    if SKIP_LLM_TESTS:
        pytest.skip(reason)
    pytest.fail(reason, pytrace=False)


@pytest.fixture(scope="session")
def bundled_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bundled GGUF, assembled from its part packages and verified, once per session."""
    require_llm()
    from assistant.backends.llama_local import bundled_model_path

    path = bundled_model_path(tmp_path_factory.mktemp("models"))
    yield path
    path.unlink(missing_ok=True)  # 491 MB: not worth keeping in pytest's retained temp dirs


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory, bundled_model: Path) -> Iterator[str]:
    """A real llama.cpp server (OpenAI-compatible) on loopback serving the bundled model, as
    the model name "bundled"; yields its base URL (…/v1)."""
    require_llm("llama_cpp.server.app")  # the [server] extra: fastapi, sse-starlette, …
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_model),
        "--model_alias", "bundled", "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", "2",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    yield from serve(tmp_path_factory, "llama-server", command, url, "/models", 120)
