"""A small help center cut from a foreign set: its documents, its questions, and the rest's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.subset import cut, main

CORPUS = [{"id": f"d{n}", "title": f"Question {n}?", "text": f"Answer {n}."} for n in range(10)]
QUESTIONS = [
    {"id": f"q{n}", "question": f"about {n % 10}", "gold_ids": [f"d{n % 10}"], "answerable": True}
    for n in range(50)
] + [{"id": "none", "question": "nothing", "gold_ids": [], "answerable": False}]


def test_the_kept_documents_answer_their_questions_and_the_rest_become_unanswerable() -> None:
    kept, asked = cut(CORPUS, QUESTIONS, documents=3, unanswerable=8, seed=5)
    ids = {d["id"] for d in kept}
    assert len(kept) == 3
    answerable = [q for q in asked if q["answerable"]]
    assert len(answerable) == 15  # five questions per kept document
    assert all(set(q["gold_ids"]) <= ids for q in answerable)
    missing = [q for q in asked if not q["answerable"]]
    assert len(missing) == 8 and all(q["gold_ids"] == [] for q in missing)
    assert not {q["id"] for q in missing} & {q["id"] for q in answerable}
    assert cut(CORPUS, QUESTIONS, 3, 8, seed=5) == (kept, asked)  # the same seed, the same cut


def test_the_command_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, rows in (("corpus.jsonl", CORPUS), ("questions.jsonl", QUESTIONS)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "small"
    main(
        [
            *("--corpus", str(tmp_path / "corpus.jsonl")),
            *("--questions", str(tmp_path / "questions.jsonl")),
            *("--documents", "2", "--unanswerable", "4", "--out", str(out)),
        ]
    )
    assert len((out / "corpus.jsonl").read_text().splitlines()) == 2
    assert len((out / "questions.jsonl").read_text().splitlines()) == 14
    assert "2 documents, 10 answerable and 4 not" in capsys.readouterr().out
