"""A gated re-index goes live only when the golden set does not get worse; held back, it waits
beside the live index until it is made live anyway or discarded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.manifest import Manifest
from assistant.settings import Settings
from evals.gated import candidates_dir, discard, gated_ingest, held, history, promote
from ingest.sync import SyncReport
from tests.conftest import SAMPLE_KB

GOLDEN = SAMPLE_KB / "golden.yaml"
CASES = 40  # the first golden cases: enough to see a damaged knowledge base


def live_copy(sample_index: tuple[Settings, SyncReport], tmp_path: Path) -> tuple[Settings, Path]:
    """A live index of the sample knowledge base (a copy of the session's) and a copy of the
    knowledge base to change."""
    sample, _ = sample_index
    kb = tmp_path / "kb"
    shutil.copytree(SAMPLE_KB, kb)
    settings = Settings(data_dir=tmp_path / "data", sources=[kb], self_calibrate=False)
    shutil.copytree(sample.index_dir, settings.index_dir)
    return settings, kb


def documents(settings: Settings) -> int:
    return sum(Manifest(settings.index_dir / "manifest.sqlite3").counts().values())


def test_a_damaged_article_set_is_held_back_then_discarded(
    sample_index: tuple[Settings, SyncReport], tmp_path: Path
) -> None:
    settings, kb = live_copy(sample_index, tmp_path)
    before = documents(settings)
    shutil.rmtree(kb / "articles")  # a documentation export that lost the help center,
    shutil.rmtree(kb / "faqs")  # leaving only past cases
    outcome = gated_ingest(settings, GOLDEN, limit=CASES)
    assert outcome.decision == "held"
    regressed = {row["metric"] for row in outcome.regressions}
    assert "recall_at_5" in regressed, outcome.comparison
    assert documents(settings) == before  # the live index never saw it
    waiting = held(settings)
    assert waiting is not None and waiting.regressions == outcome.regressions
    assert discard(settings) is not None
    assert not candidates_dir(settings).exists() and held(settings) is None
    assert documents(settings) == before
    assert [run.decision for run in history(settings)] == ["held", "discarded"]


def test_a_harmless_change_goes_live_and_a_held_one_can_be_made_live_anyway(
    sample_index: tuple[Settings, SyncReport], tmp_path: Path
) -> None:
    settings, kb = live_copy(sample_index, tmp_path)
    before = documents(settings)
    (kb / "articles" / "billing" / "gift-cards.md").write_text(
        "---\ntitle: Gift cards\n---\n\nTallybook does not sell gift cards or vouchers.\n",
        encoding="utf-8",
    )
    outcome = gated_ingest(settings, GOLDEN, limit=CASES)
    assert outcome.decision == "live", outcome.regressions
    assert documents(settings) == before + 1
    assert not candidates_dir(settings).exists()
    # Nothing changed since: nothing to evaluate.
    assert gated_ingest(settings, GOLDEN, limit=CASES).decision == "unchanged"
    # A damaging change, made live anyway by a person who decided so.
    shutil.rmtree(kb / "articles")
    assert gated_ingest(settings, GOLDEN, limit=CASES).decision == "held"
    assert promote(settings).decision == "promoted"
    assert documents(settings) < before
    assert [run.decision for run in history(settings)] == ["live", "unchanged", "held", "promoted"]


def test_nothing_to_promote_or_discard_says_so(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(AnswerdeskError) as error:
        promote(settings)
    assert error.value.code is ErrorCode.NOT_FOUND
    assert discard(settings) is None


def test_the_gate_refuses_to_share_a_chroma_server_with_the_live_index(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", chroma_url="http://127.0.0.1:9")
    with pytest.raises(AnswerdeskError) as error:
        gated_ingest(settings, GOLDEN)
    assert error.value.code is ErrorCode.INVALID_INPUT
    assert not candidates_dir(settings).exists()
