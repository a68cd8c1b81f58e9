"""`answerdesk serve` itself refuses an oversized header block while reading it: the HTTP parser
stops at the limit, so a 16 MB header is never held in memory, let alone answered 200."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import Settings
from ingest.sync import SyncReport
from tests.conftest import free_port, serve

pytestmark = [pytest.mark.server, pytest.mark.slow]
ANSWERDESK = str(Path(sys.executable).parent / "answerdesk")


@pytest.fixture(scope="module")
def served(
    sample_index: tuple[Settings, SyncReport], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    settings, _ = sample_index
    home = tmp_path_factory.mktemp("served")
    shutil.copytree(settings.data_dir, home / "data")  # embedded Chroma: one process each
    port = free_port()
    command = [
        "env",
        f"ANSWERDESK_DATA_DIR={home / 'data'}",
        f"ANSWERDESK_DATABASE_URL=sqlite:///{home / 'answerdesk.sqlite3'}",
        ANSWERDESK,
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    yield from serve(
        tmp_path_factory, "served", command, f"http://127.0.0.1:{port}", "/healthz", 120
    )


def raw_request(url: str, header_bytes: int) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        with contextlib.suppress(OSError):  # the server stopped reading and closed: good
            connection.sendall(head + b"a" * header_bytes + b"\r\n\r\n")
        chunks = []
        try:
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except OSError:
            pass
        return b"".join(chunks)


def test_a_16_mb_header_is_refused_and_the_server_carries_on(served: str) -> None:
    answer = raw_request(served, 16 * 1024 * 1024)
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:200]
    assert raw_request(served, 2000).startswith(b"HTTP/1.1 200")  # an ordinary one is fine
    with urllib.request.urlopen(f"{served}/healthz", timeout=10) as response:
        assert response.status == 200
