"""End-to-end fixtures: the real `answerdesk serve` over the indexed sample knowledge base, two
agent keys made with `answerdesk keys create`, and the system's headless Chromium driven by
Playwright (nothing is downloaded: `playwright install` is never run).

Without Chromium these tests fail, saying how to install it; ANSWERDESK_SKIP_BROWSER_TESTS=1
skips them instead. Screenshots go to tests/e2e/artifacts/ and, when ANSWERDESK_E2E_ARTIFACTS
names a folder, there too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.conftest import REPO, SAMPLE_KB, free_port, serve

# Read once at import: the autouse fixture in tests/conftest.py hides ANSWERDESK_* from tests.
SKIP_BROWSER_TESTS = os.environ.get("ANSWERDESK_SKIP_BROWSER_TESTS") == "1"
EXTRA_ARTIFACTS = os.environ.get("ANSWERDESK_E2E_ARTIFACTS")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 667}
KEY = re.compile(r"\badk_[A-Za-z0-9_\-]+")
SOURCES = json.dumps([str(SAMPLE_KB)])
ANSWERDESK = str(Path(sys.executable).parent / "answerdesk")  # the venv's command
INDEXING_CODE = (
    "pyproject.toml",
    "assistant/index.py",
    "assistant/backends/*.py",
    "ingest/**/*.py",
)


def _browser_missing(reason: str) -> NoReturn:
    """Fail loudly (a silent skip would hide a machine without a browser); skip on request."""
    message = (
        f"{reason}. Install Debian's Chromium (`apt-get install -y chromium`; `make test` does) "
        "or set ANSWERDESK_SKIP_BROWSER_TESTS=1 to skip the browser tests."
    )
    if SKIP_BROWSER_TESTS:
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system's Chromium: checked first, so a machine without one fails in a second."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    _browser_missing("Chromium is not installed (no `chromium` on PATH)")


@dataclass(frozen=True)
class LiveServer:
    url: str
    agent: str  # the name the first key belongs to
    agent_key: str
    other_agent: str
    other_agent_key: str

    def api(self, method: str, path: str, key: str, body: Any = None) -> Any:
        """Call the JSON API as an agent (for set-up steps a test does not exercise)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"X-API-Key": key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


def _answerdesk(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSWERDESK_")}
    result = subprocess.run(
        [ANSWERDESK, *args],
        env=clean | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"answerdesk {' '.join(args)} failed: {result.stderr[-2000:]}"
    return result.stdout


def _indexing_code_hash() -> str:
    """Changes when the code that builds an index does: a cached index is then rebuilt."""
    digest = hashlib.sha256()
    for pattern in INDEXING_CODE:
        for path in sorted(REPO.glob(pattern)):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def e2e_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample knowledge base indexed by `answerdesk ingest`. The index is kept in pytest's
    cache between runs: ingest is incremental, so an unchanged knowledge base syncs in a second."""
    cache = getattr(request.config, "cache", None)  # None under `-p no:cacheprovider`
    name = f"answerdesk-e2e-index-{_indexing_code_hash()}"
    folder = Path(cache.mkdir(name)) if cache else tmp_path_factory.mktemp(name)
    env = {"ANSWERDESK_DATA_DIR": str(folder / "data"), "ANSWERDESK_SOURCES": SOURCES}
    _answerdesk("ingest", "--strict", env=env, cwd=folder, timeout=600)
    return folder / "data"


@pytest.fixture(scope="session")
def live_server(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, e2e_index: Path
) -> Iterator[LiveServer]:
    """`answerdesk serve` on loopback over a copy of the indexed sample knowledge base."""
    home = tmp_path_factory.mktemp("e2e")
    data_dir = home / "data"
    shutil.copytree(e2e_index, data_dir, ignore=shutil.ignore_patterns("answerdesk.sqlite3*"))
    env = {"ANSWERDESK_DATA_DIR": str(data_dir), "ANSWERDESK_SOURCES": SOURCES}
    keys = {}
    for name in ("e2e-agent", "e2e-agent-2"):
        printed = _answerdesk("keys", "create", name, "--role", "agent", env=env, cwd=home)
        found = KEY.search(printed)
        assert found, f"`answerdesk keys create` printed no key: {printed!r}"
        keys[name] = found.group(0)
    server = answerdesk_serve(tmp_path_factory, home, env, "answerdesk-serve")
    url = next(server)
    try:
        yield LiveServer(
            url=url,
            agent="e2e-agent",
            agent_key=keys["e2e-agent"],
            other_agent="e2e-agent-2",
            other_agent_key=keys["e2e-agent-2"],
        )
    finally:
        server.close()


def answerdesk_serve(
    tmp_path_factory: pytest.TempPathFactory,
    home: Path,
    env: dict[str, str],
    name: str,
    port: int | None = None,
) -> Iterator[str]:
    """`answerdesk serve` on a free loopback port with exactly `env` (no other ANSWERDESK_
    variable) and `home` as its working directory (no stray .env file); yields its URL and
    stops it when closed. `port`: one chosen beforehand (a server whose emails link to its own
    URL must know it before it starts); default a free one."""
    port = port or free_port()
    command = [ANSWERDESK, "serve", "--host", "127.0.0.1", "--port", str(port)]
    servers = serve(tmp_path_factory, name, command, f"http://127.0.0.1:{port}", "/readyz", 120)
    with pytest.MonkeyPatch.context() as patch:  # the process inherits env and cwd at start
        for variable in list(os.environ):
            if variable.startswith("ANSWERDESK_"):
                patch.delenv(variable)
        for variable, value in env.items():
            patch.setenv(variable, value)
        patch.chdir(home)
        url = next(servers)
    try:
        yield url
    finally:
        servers.close()


@pytest.fixture(scope="session")
def browser(chromium: str, live_server: LiveServer) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class Pages:
    """Browser pages for one test; any JavaScript error or console error fails the test."""

    browser: Browser
    base_url: str
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    def open(self, path: str = "/", viewport: dict[str, int] = DESKTOP) -> Page:
        context = self.browser.new_context(viewport=viewport, base_url=self.base_url)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.goto(path)
        return page

    def check(self) -> None:
        assert not self.errors, f"the browser console logged errors: {self.errors}"

    def allow(self, pattern: str) -> None:
        """A console message the test expects (e.g. the 409 a refused claim logs)."""
        self.allowed.append(re.compile(pattern))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = f"{message.text} ({message.location.get('url', '')})"
        if not any(pattern.search(text) for pattern in self.allowed):
            self.errors.append(text)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, live_server: LiveServer) -> Iterator[Pages]:
    opened = Pages(browser, live_server.url)
    yield opened
    opened.close()
    opened.check()


@pytest.fixture(scope="session")
def shot() -> Callable[[Page, str], Path]:
    """shot(page, "name"): a PNG in tests/e2e/artifacts/ (and in $ANSWERDESK_E2E_ARTIFACTS)."""
    ARTIFACTS.mkdir(exist_ok=True)
    extra = Path(EXTRA_ARTIFACTS) if EXTRA_ARTIFACTS else None
    if extra:
        extra.mkdir(parents=True, exist_ok=True)

    def _shot(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        if extra:
            shutil.copyfile(path, extra / path.name)
        return path

    return _shot
