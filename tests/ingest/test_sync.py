"""Incremental sync: only what changed is embedded; failures never lose the live index."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.backends import make_vector_index
from assistant.backends.bm25_index import Bm25Index
from assistant.backends.chroma_index import ChromaIndex
from assistant.manifest import Manifest, ManifestEntry
from assistant.ports import Embedder
from assistant.selfcal import META_KEY
from assistant.settings import Settings
from ingest.sync import DRIFT_KEY, Indexer, plan_sync
from tests.conftest import WriteFiles

ARTICLES = {
    "billing/refunds.md": "# Refunds\n\nAnnual plans are refunded pro rata within 30 days.\n",
    "security/2fa.md": "# Two-factor authentication\n\nUse an authenticator app or a key.\n",
    "api/keys.md": "# API keys\n\nCreate keys under Settings → Developers → API keys.\n",
}


def write_articles(write: WriteFiles, articles: dict[str, str] = ARTICLES) -> None:
    for name, text in articles.items():
        write(name, text)


def live_state(settings: Settings) -> tuple[set[str], set[str]]:
    """(chunk ids the manifest lists, chunk ids the live vector collection holds)."""
    manifest = Manifest(settings.index_dir / "manifest.sqlite3")
    meta, listed = manifest.meta(), manifest.chunk_ids()
    manifest.close()
    return listed, make_vector_index(settings, meta["collection"]).ids()


def search(settings: Settings, embedder: Embedder, text: str) -> list[str]:
    manifest = Manifest(settings.index_dir / "manifest.sqlite3")
    meta = manifest.meta()
    hits = make_vector_index(settings, meta["collection"]).query(embedder.embed([text])[0], 3)
    listed = manifest.get_chunks(h.chunk_id for h in hits)  # the live version's chunks
    manifest.close()
    return [listed[h.chunk_id].document_id for h in hits if h.chunk_id in listed]


def test_first_sync_indexes_everything_and_the_second_embeds_nothing(
    indexer: Indexer, settings: Settings, write: WriteFiles
) -> None:
    write_articles(write)
    first = indexer.sync()
    assert (first.added, first.updated, first.unchanged, first.deleted) == (3, 0, 0, 0)
    assert first.embedded_chunks == first.chunks == 3

    second = indexer.sync()
    assert (second.added, second.updated, second.unchanged, second.deleted) == (0, 0, 3, 0)
    assert second.embedded_chunks == 0
    listed, stored = live_state(settings)
    assert listed == stored and len(listed) == 3


def test_editing_one_article_re_embeds_only_that_article(
    indexer: Indexer, settings: Settings, embedder: Embedder, write: WriteFiles
) -> None:
    write_articles(write)
    indexer.sync()
    write("billing/refunds.md", "# Refunds\n\nMonthly plans are never refunded.\n")
    report = indexer.sync()
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert report.embedded_chunks == 1
    listed, stored = live_state(settings)
    assert listed == stored and len(listed) == 3  # the old version's chunk is gone
    assert search(settings, embedder, "are monthly plans refunded")[0] == (
        "article:billing/refunds"
    )


def test_removed_documents_leave_both_indexes(
    indexer: Indexer, settings: Settings, kb: Path, write: WriteFiles
) -> None:
    write_articles(write)
    indexer.sync()
    (kb / "api/keys.md").unlink()
    report = indexer.sync()
    assert (report.deleted, report.unchanged) == (1, 2)
    listed, stored = live_state(settings)
    assert listed == stored and len(listed) == 2
    keyword = Bm25Index.load(settings.index_dir / indexer.manifest.meta()["keyword_dir"])
    assert keyword.query("settings developers", 5) == []  # words only the deleted doc had
    assert len(keyword) == 2


def test_dry_run_reports_changes_and_writes_nothing(
    indexer: Indexer, settings: Settings, write: WriteFiles
) -> None:
    write_articles(write)
    indexer.sync()
    before = live_state(settings)
    write("billing/new.md", "# New\n\nBrand new article.\n", "security/2fa.md", "# 2FA\n\nNew.\n")
    report = indexer.sync(dry_run=True)
    assert (report.added, report.updated, report.unchanged, report.dry_run) == (1, 1, 2, True)
    assert report.embedded_chunks == 0 and live_state(settings) == before


def test_full_rebuild_re_embeds_everything_into_a_fresh_collection(
    indexer: Indexer, settings: Settings, write: WriteFiles
) -> None:
    write_articles(write)
    indexer.sync()
    old_collection = indexer.manifest.meta()["collection"]
    report = indexer.sync(full=True)
    assert report.rebuilt and report.embedded_chunks == 3 and report.updated == 3
    new_collection = indexer.manifest.meta()["collection"]
    assert new_collection != old_collection
    listed, stored = live_state(settings)
    assert listed == stored and len(listed) == 3


def test_a_file_that_breaks_later_keeps_its_documents_indexed(
    indexer: Indexer, settings: Settings, write: WriteFiles
) -> None:
    write_articles(write)
    write("faqs.yaml", "- id: pay\n  question: Can I pay by PayPal?\n  answer: Annual only.\n")
    indexer.sync()
    write("faqs.yaml", "- id: pay\n  question: [broken\n")
    report = indexer.sync()
    assert report.failed == 1 and report.deleted == 0
    assert report.errors[0].path.endswith("faqs.yaml")
    assert "faq:pay" in indexer.manifest.entries()
    rebuilt = indexer.sync(full=True)  # even a rebuild carries the kept document along
    assert rebuilt.failed == 1 and "faq:pay" in indexer.manifest.entries()
    listed, stored = live_state(settings)
    assert listed == stored and len(listed) == 4


class Crash(RuntimeError):
    pass


def test_a_crash_midway_leaves_the_previous_index_live_and_the_next_run_finishes(
    indexer: Indexer,
    settings: Settings,
    embedder: Embedder,
    write: WriteFiles,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_articles(write)
    indexer.sync()
    before_listed, _ = live_state(settings)
    many = {f"guides/g{i}.md": f"# Guide {i}\n\nStep {i}: open page {i}.\n" for i in range(300)}
    write_articles(write, many)
    write("billing/refunds.md", "# Refunds\n\nMonthly plans are never refunded.\n")

    real_upsert, calls = ChromaIndex.upsert, []

    def upsert_then_die(self: ChromaIndex, chunks, vectors) -> None:  # type: ignore[no-untyped-def]
        calls.append(len(chunks))
        if len(calls) == 2:
            raise Crash("power cut")
        real_upsert(self, chunks, vectors)

    monkeypatch.setattr(ChromaIndex, "upsert", upsert_then_die)
    with pytest.raises(Crash):
        indexer.sync()
    monkeypatch.setattr(ChromaIndex, "upsert", real_upsert)

    listed, stored = live_state(settings)
    assert listed == before_listed  # the manifest still describes the old index…
    assert listed <= stored  # …every chunk it lists is there (plus orphans it ignores)…
    assert search(settings, embedder, "refund annual plan")[0] == "article:billing/refunds"

    report = indexer.sync()  # …and the next run completes the work without redoing it
    assert report.added == 300 and report.updated == 1
    assert report.embedded_chunks == 301 - calls[0]
    listed, stored = live_state(settings)
    assert listed == stored and len(listed) == 303


def test_changing_the_embedding_model_forces_a_rebuild(
    settings: Settings, embedder: Embedder, write: WriteFiles
) -> None:
    write_articles(write)
    Indexer(settings, embedder).sync()
    changed = settings.model_copy(update={"chunk_max_tokens": 200})
    report = Indexer(changed, embedder).sync()
    assert report.rebuilt and report.embedded_chunks == 3


def test_a_new_keyword_format_rebuilds_the_keyword_index_and_embeds_nothing(
    indexer: Indexer, settings: Settings, write: WriteFiles
) -> None:
    write_articles(write)
    indexer.sync()
    manifest = Manifest(settings.index_dir / "manifest.sqlite3")
    before = manifest.meta()
    manifest.commit([], [], {"keyword": "an older format"})

    report = indexer.sync()
    after = manifest.meta()
    manifest.close()
    assert not report.rebuilt and report.embedded_chunks == 0
    assert after["collection"] == before["collection"]  # the same vectors
    assert after["keyword_dir"] != before["keyword_dir"] and after["keyword"] == before["keyword"]
    keywords = Bm25Index.load(settings.index_dir / after["keyword_dir"])
    assert len(keywords) == 3 and keywords.vocabulary["authenticator"] == 1


@pytest.mark.parametrize(
    ("previous", "current", "failed", "expected"),
    [
        ({}, {"a": "1"}, set(), (["a"], [], [], [], [])),
        ({"a": "1"}, {"a": "1"}, set(), ([], [], ["a"], [], [])),
        ({"a": "1"}, {"a": "2"}, set(), ([], ["a"], [], [], [])),
        ({"a": "1"}, {}, set(), ([], [], [], ["a"], [])),
        ({"a": "1"}, {}, {"a.md"}, ([], [], [], [], ["a"])),
    ],
)
def test_plan_sync_decides_per_document(
    previous: dict[str, str], current: dict[str, str], failed: set[str], expected: tuple
) -> None:
    entries = {k: ManifestEntry(k, "article", f"{k}.md", v) for k, v in previous.items()}
    plan = plan_sync(entries, current, failed, rebuild=False)
    assert (plan.added, plan.updated, plan.unchanged, plan.deleted, plan.kept) == expected


@pytest.mark.server
def test_sync_works_the_same_against_a_chroma_server(
    settings: Settings, embedder: Embedder, write: WriteFiles, chroma_server: str
) -> None:
    remote = settings.model_copy(update={"chroma_url": chroma_server})
    write_articles(write)
    indexer = Indexer(remote, embedder)
    assert indexer.sync().embedded_chunks == 3
    write("billing/refunds.md", "# Refunds\n\nMonthly plans are never refunded.\n")
    assert indexer.sync().embedded_chunks == 1
    listed, stored = live_state(remote)
    assert listed == stored and len(listed) == 3
    assert not (settings.index_dir / "chroma").exists()  # nothing was written locally


def test_the_calibration_is_fitted_again_only_once_the_content_drifted_from_it(
    indexer: Indexer, write: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits: list[int] = []

    def calibrate(progress: object = None) -> None:  # the probes' fit is test_selfcal's
        fits.append(len(indexer.manifest.entries()))
        indexer.manifest.commit([], [], {META_KEY: "{}", DRIFT_KEY: "0"})

    monkeypatch.setattr(indexer, "calibrate", calibrate)
    for i in range(10):
        write(f"guides/g{i}.md", f"# Guide {i}\n\nStep {i}: open Settings and press Save.\n")
    assert indexer.sync().calibration_drift is None and fits == [10]
    write("guides/new.md", "# A new guide\n\nPress Export.\n")  # one article published
    kept = indexer.sync()
    assert fits == [10] and kept.calibration_drift == pytest.approx(1 / 11, abs=1e-3)
    assert indexer.sync().calibration_drift == kept.calibration_drift  # nothing changed
    write("guides/g0.md", "# Guide 0\n\nStep 0 moved to Preferences.\n")
    refit = indexer.sync()  # 1/11 + 1/11 of the documents changed: past REFIT_DRIFT
    assert fits == [10, 11] and refit.calibration_drift is None
    assert float(indexer.manifest.meta()[DRIFT_KEY]) == 0.0
