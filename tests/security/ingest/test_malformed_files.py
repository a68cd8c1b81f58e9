"""Hostile source files (tests/security/corpus/malformed) never stop an ingest: each is one
file-level error with its path and a reason, and every good file beside it is indexed."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.loaders import OUTSIDE, iter_source_files, load_sources
from ingest.sync import Indexer
from server.cli import app
from tests.conftest import WriteFiles

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "malformed"
GOOD = "# Refunds\n\nAnnual plans are refunded pro rata within 30 days.\n"

# file in the corpus → what its error says
EXPECTED = {
    "impossible-date.md": "impossible date '2026-13-45'",
    "nested-divs.html": "more than 512 levels deep",
    "huge-field.csv": "field larger than field limit",
    "billion-laughs.yaml": "YAML aliases (*l0) are not accepted",
    "alias-front-matter.md": "YAML aliases (*t) are not accepted",
    "deep-json.json": "nested too deeply",
    "deep-yaml.yaml": "nested too deeply",
}


def copy_corpus(kb: Path) -> None:
    for path in CORPUS.iterdir():
        shutil.copy(path, kb / path.name)


def test_the_corpus_is_what_this_test_expects() -> None:
    assert {p.name for p in CORPUS.iterdir()} == set(EXPECTED)


def test_each_hostile_file_is_one_error_and_the_good_file_loads(
    kb: Path, write: WriteFiles
) -> None:
    copy_corpus(kb)
    write("refunds.md", GOOD)
    started = time.perf_counter()
    loaded = load_sources([kb], max_bytes=5_000_000)
    assert time.perf_counter() - started < 10  # refused, not expanded or parsed for minutes
    assert [d.id for d in loaded.documents] == ["article:refunds"]
    reasons = {Path(e.path).name: e.reason for e in loaded.errors}
    assert set(reasons) == set(EXPECTED)
    for name, expected in EXPECTED.items():
        assert expected in reasons[name], (name, reasons[name])


def test_the_impossible_date_error_names_its_line(kb: Path) -> None:
    shutil.copy(CORPUS / "impossible-date.md", kb)
    [error] = load_sources([kb], max_bytes=100_000).errors
    assert error.line == 3  # `updated:` is the front matter's second line, the file's third


def test_an_unforeseen_loader_failure_is_that_files_error(
    kb: Path, write: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a parser raises (here: a bug in the HTML loader) stays with its file."""
    import ingest.loaders as loaders

    def broken(*_: object) -> None:
        raise KeyError("lexbor went wrong")

    monkeypatch.setattr(loaders, "load_html_article", broken)
    write("refunds.md", GOOD, "page.html", "<h1>Page</h1><p>Some text.</p>")
    loaded = load_sources([kb], max_bytes=100_000)
    assert [d.id for d in loaded.documents] == ["article:refunds"]
    [error] = loaded.errors
    assert error.path.endswith("page.html") and "KeyError" in error.reason


def test_one_odd_record_costs_only_its_own_line(kb: Path, write: WriteFiles) -> None:
    write(
        "faqs.jsonl",
        '{"question": "Q1?", "answer": "A1."}\n'
        '{"question": "Q2?", "answer": "A2.", "tags": {"not": "a list"}}\n'
        '{"question": "Q3?", "answer": "A3."}\n',
    )
    loaded = load_sources([kb], max_bytes=100_000)
    assert [d.title for d in loaded.documents] == ["Q1?", "Q3?"]
    [error] = loaded.errors
    assert error.line == 2


def test_symbolic_links_out_of_the_source_folder_are_reported_not_followed(
    kb: Path, tmp_path: Path, write: WriteFiles
) -> None:
    secrets = tmp_path / "outside"
    secrets.mkdir()
    (secrets / "id_rsa.md").write_text("# Private key\n\n-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (secrets / "more.md").write_text("# More secrets\n\nThe root password is hunter2.\n")
    write("refunds.md", GOOD, "guides/inside.md", "# Inside\n\nA guide inside the folder.\n")
    (kb / "key.md").symlink_to(secrets / "id_rsa.md")
    (kb / "linked-folder").symlink_to(secrets, target_is_directory=True)
    (kb / "alias.md").symlink_to(kb / "guides" / "inside.md")  # stays inside: read

    loaded = load_sources([kb], max_bytes=100_000)
    assert sorted(d.id for d in loaded.documents) == [
        "article:alias",
        "article:guides/inside",
        "article:refunds",
    ]
    assert all("BEGIN OPENSSH" not in d.text and "hunter2" not in d.text for d in loaded.documents)
    assert sorted((Path(e.path).name, e.reason) for e in loaded.errors) == [
        ("key.md", OUTSIDE),
        ("linked-folder", OUTSIDE),
    ]
    assert loaded.failed_paths == set()  # nothing indexed through them is kept
    assert all(p.name not in {"key.md", "linked-folder"} for p, _ in iter_source_files([kb]))


def test_a_file_named_on_its_own_is_read_wherever_it_points(kb: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.md"
    target.write_text(GOOD)
    (kb / "named.md").symlink_to(target)
    [document] = load_sources([kb / "named.md"], max_bytes=100_000).documents
    assert document.id == "article:named"


def test_the_whole_corpus_ingests_with_exit_0_and_every_error_reported(
    indexer: Indexer, kb: Path, write: WriteFiles
) -> None:
    copy_corpus(kb)
    write("refunds.md", GOOD)
    report = indexer.sync()
    assert (report.added, report.failed, report.chunks) == (1, len(EXPECTED), 1)


def test_the_command_line_reports_the_corpus_and_exits_0(
    kb: Path, write: WriteFiles, indexer: Indexer
) -> None:
    copy_corpus(kb)
    write("refunds.md", GOOD)
    env = {
        "ANSWERDESK_DATA_DIR": str(indexer.settings.data_dir),
        "ANSWERDESK_SOURCES": json.dumps([str(kb)]),
    }
    result = CliRunner().invoke(app, ["ingest", "--json", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["failed"] == len(EXPECTED)
    assert {Path(e["path"]).name for e in summary["errors"]} == set(EXPECTED)
