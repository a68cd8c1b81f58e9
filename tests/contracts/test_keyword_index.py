"""The keyword index contract: lexical matches rank first and survive a save/load."""

from __future__ import annotations

from pathlib import Path

from assistant.backends.bm25_index import Bm25Index

TEXTS = {
    "c1": "Error TB-429 means the API rate limit was exceeded; honour Retry-After.",
    "c2": "Connect your bank account under Banking → Connections.",
    "c3": "Refunds for annual plans are pro rata within 30 days.",
}


def test_exact_terms_and_codes_rank_first(tmp_path: Path) -> None:
    index = Bm25Index.build(list(TEXTS), list(TEXTS.values()))
    assert index.query("what does TB-429 mean", 3)[0].chunk_id == "c1"
    assert index.query("refunds annual", 3)[0].chunk_id == "c3"
    index.save(tmp_path / "kw")
    loaded = Bm25Index.load(tmp_path / "kw")
    assert [h.chunk_id for h in loaded.query("bank connections", 3)][:1] == ["c2"]
    assert len(loaded) == 3


def test_no_match_and_empty_index_return_nothing(tmp_path: Path) -> None:
    index = Bm25Index.build(list(TEXTS), list(TEXTS.values()))
    assert index.query("zebra giraffe", 3) == []
    assert index.query("the of and", 3) == []  # stop words only
    empty = Bm25Index.build([], [])
    empty.save(tmp_path / "empty")
    assert Bm25Index.load(tmp_path / "empty").query("anything", 3) == []
