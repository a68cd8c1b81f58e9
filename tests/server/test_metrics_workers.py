"""`/metrics` of a server with several workers counts every worker's requests, whichever worker
answers the scrape (prometheus-client's multiprocess mode, set up by `answerdesk serve`)."""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.settings import Settings
from ingest.sync import SyncReport
from tests.server.nodes import Node

REQUESTS = 30


@pytest.fixture
def home(sample_index: tuple[Settings, SyncReport], tmp_path: Path) -> Path:
    settings, _ = sample_index
    shutil.copytree(settings.data_dir, tmp_path / "data")
    return tmp_path


def served(url: str) -> float:
    """answerdesk_http_requests_total of GET /healthz with status 200, as one scrape says."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=30) as response:
        text = response.read().decode()
    pattern = r'answerdesk_http_requests_total\{[^}]*route="/healthz"[^}]*status="200"[^}]*\} (\S+)'
    return sum(float(m) for m in re.findall(pattern, text))


def test_metrics_sum_the_requests_every_worker_served(home: Path) -> None:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("ANSWERDESK_") and k != "PROMETHEUS_MULTIPROC_DIR"}  # fmt: skip
    env = clean | {"ANSWERDESK_DATA_DIR": str(home / "data")}
    node = Node(env, home, "two-workers", "--workers", "2")
    try:
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them over both
            urllib.request.urlopen(f"{node.url}/healthz", timeout=30).close()
        # A request is counted once its last byte is sent: give the last one a moment.
        deadline = time.monotonic() + 10
        while served(node.url) < REQUESTS and time.monotonic() < deadline:
            time.sleep(0.1)
        # Every scrape, whichever worker answers it, counts all of them (each worker alone
        # served only part); a worker's own count would differ from scrape to scrape.
        assert [served(node.url) for _ in range(6)] == [REQUESTS] * 6
        assert list((home / "data" / "metrics").glob("*.db")), "no multiprocess files"
    finally:
        node.stop()
