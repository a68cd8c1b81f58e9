"""The `answerdesk` command line: ingest and index stats, as ops use them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.manifest import Manifest
from assistant.ports import Embedder
from assistant.settings import Settings
from ingest.sync import Indexer
from server.cli import app
from tests.conftest import WriteFiles

runner = CliRunner()


def env_for(settings: Settings) -> dict[str, str]:
    return {
        "ANSWERDESK_DATA_DIR": str(settings.data_dir),
        "ANSWERDESK_SOURCES": json.dumps([str(p) for p in settings.sources]),
    }


def test_ingest_json_summary_reports_counts_and_bad_files(
    settings: Settings, write: WriteFiles, embedder: Embedder
) -> None:
    write("a.md", "# Refunds\n\nAnnual plans are refunded pro rata.\n", "bad.md", b"\x00\x01")
    result = runner.invoke(app, ["ingest", "--json"], env=env_for(settings))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("added", "updated", "unchanged", "deleted", "failed")} == {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "failed": 1,
    }
    assert summary["chunks"] == 1 and summary["seconds"] >= 0
    [error] = summary["errors"]
    assert error["path"].endswith("bad.md") and "binary" in error["reason"]

    again = json.loads(runner.invoke(app, ["ingest", "--json"], env=env_for(settings)).stdout)
    assert (again["unchanged"], again["embedded_chunks"]) == (1, 0)


def test_strict_turns_a_bad_file_into_a_failing_exit(settings: Settings, write: WriteFiles) -> None:
    write("a.md", "# Fine\n\nText.\n", "b.yaml", "- question: [unclosed\n")
    result = runner.invoke(app, ["ingest", "--strict"], env=env_for(settings))
    assert result.exit_code == 1
    assert "b.yaml" in result.stderr and "invalid YAML" in result.stderr


def test_table_summary_and_index_stats(settings: Settings, write: WriteFiles) -> None:
    write("a.md", "# Refunds\n\nText.\n", "f.yaml", "- id: x\n  question: Q?\n  answer: A.\n")
    result = runner.invoke(app, ["ingest"], env=env_for(settings))
    assert result.exit_code == 0
    assert "added" in result.stdout and "unchanged" in result.stdout
    stats = runner.invoke(app, ["index", "stats", "--json"], env=env_for(settings))
    data = json.loads(stats.stdout)
    assert data["documents"] == 2 and data["by_kind"] == {"article": 1, "faq": 1}
    assert data["chunks"] == 2 and data["embedding_model"] == "all-MiniLM-L6-v2"
    assert data["last_sync"]


def test_stats_without_an_index_says_what_to_do(settings: Settings) -> None:
    result = runner.invoke(app, ["index", "stats"], env=env_for(settings))
    assert result.exit_code == 1 and "answerdesk ingest" in result.stderr


def test_a_missing_embedding_model_is_a_clear_configuration_error(
    settings: Settings, write: WriteFiles, tmp_path: Path
) -> None:
    write("a.md", "# A\n\nText.\n")
    env = {**env_for(settings), "ANSWERDESK_EMBEDDING_MODEL": str(tmp_path / "no-such-model")}
    result = runner.invoke(app, ["ingest"], env=env)
    assert result.exit_code == 2
    assert "ANSWERDESK_EMBEDDING_MODEL" in result.stderr
    assert not (settings.index_dir / "keyword").exists()


def _stored_vectors(chroma_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{chroma_dir / 'chroma.sqlite3'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM embeddings_queue").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_killing_ingest_midway_keeps_the_old_index_and_the_next_run_finishes(
    settings: Settings, write: WriteFiles, embedder: Embedder
) -> None:
    write("a.md", "# Refunds\n\nAnnual plans are refunded pro rata within 30 days.\n")
    Indexer(settings, embedder).sync()
    manifest = Manifest(settings.index_dir / "manifest.sqlite3")
    before = manifest.chunk_ids()
    for i in range(600):
        write(f"guides/g{i}.md", f"# Guide {i}\n\nStep {i}: open page {i} and click save.\n")

    cli = Path(sys.executable).parent / "answerdesk"
    process = subprocess.Popen(
        [str(cli), "ingest"],
        env={**os.environ, **env_for(settings)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _stored_vectors(settings.index_dir / "chroma") <= 1 and time.monotonic() < deadline:
        assert process.poll() is None, "ingest finished before it could be interrupted"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert manifest.chunk_ids() == before  # the old index is what the manifest describes
    manifest.close()
    # Embedded Chroma caches state per process, so each check below runs in a fresh one,
    # as the next `answerdesk ingest` would.
    env = {**os.environ, **env_for(settings)}
    state = _live_state(env)
    assert state["listed"] == state["stored_and_listed"] == 1  # old index intact and queryable
    assert state["stored"] > 1  # the killed run's vectors: orphans the manifest does not list
    rerun = subprocess.run([str(cli), "ingest", "--json"], env=env, capture_output=True, text=True)
    report = json.loads(rerun.stdout)
    assert report["added"] == 600 and report["chunks"] == 601
    assert report["embedded_chunks"] < 600  # work the killed run had finished is kept
    assert _live_state(env) == {"listed": 601, "stored_and_listed": 601, "stored": 601}


_CHECK = """
import json
from assistant.backends import make_vector_index
from assistant.manifest import Manifest
from assistant.settings import Settings
s = Settings()
m = Manifest(s.index_dir / "manifest.sqlite3")
listed, stored = m.chunk_ids(), make_vector_index(s, m.meta()["collection"]).ids()
print(json.dumps(
    {"listed": len(listed), "stored_and_listed": len(listed & stored), "stored": len(stored)}
))
"""


def _live_state(env: dict[str, str]) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", _CHECK], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(result.stdout))


def test_triage_reads_json_lines_and_reports_signals_and_bad_lines() -> None:
    lines = "\n".join(
        [
            json.dumps({"text": "THIS IS THE THIRD TIME I WRITE!!! Your app is useless."}),
            "not json",
            json.dumps({"turns": ["hi", "let me talk to a real person please"]}),
            json.dumps({"text": "refund my last charge now"}),
            json.dumps({"text": "how do I export invoices?"}),
        ]
    )
    result = runner.invoke(app, ["triage", "--no-learned"], input=lines + "\n")
    assert result.exit_code == 0, result.output
    angry, bad, human, refund, calm = (json.loads(x) for x in result.stdout.splitlines())
    assert angry["angry"] and angry["reasons"]
    assert bad == {"line": 2, "error": bad["error"]} and "expected" in bad["error"]
    assert human["human_requested"] and not human["angry"]
    assert refund["policy"] == ["refund"] and refund["queue"] == "billing"
    assert not (calm["angry"] or calm["human_requested"] or calm["policy"])
