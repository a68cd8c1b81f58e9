"""The golden set's schema: what content owners write, and the errors they get."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import AnswerdeskError
from evals.golden import load_golden
from ingest.loaders import load_sources
from tests.conftest import SAMPLE_KB


def test_the_sample_golden_set_is_valid_and_rich() -> None:
    cases = load_golden(SAMPLE_KB / "golden.yaml")
    assert len(cases) >= 150
    unanswerable = [c for c in cases if c.reason in {"out_of_scope", "low_confidence"}]
    assert len(unanswerable) / len(cases) >= 0.2
    assert any(c.turns for c in cases) and any(c.reason == "angry" for c in cases)
    assert any(c.reason and c.reason.startswith("policy:") for c in cases)


def test_every_expected_source_exists_in_the_sample_knowledge_base() -> None:
    ids = {d.id for d in load_sources([SAMPLE_KB], 5_000_000).documents}
    for case in load_golden(SAMPLE_KB / "golden.yaml"):
        assert set(case.expected_sources) <= ids, case.id


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("cases:\n  - id: a\n", "exactly one of `question` or `turns`"),
        ("cases:\n  - id: a\n    question: q\n    expected: handoff\n", "needs a `reason`"),
        ("cases:\n  - id: a\n    question: q\n    colour: red\n", "colour"),
        ("cases:\n  - {id: a, question: q}\n  - {id: a, question: r}\n", "duplicate case ids"),
        ("cases: [unclosed\n", "not valid YAML"),
    ],
)
def test_mistakes_in_a_golden_file_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "golden.yaml"
    path.write_text(content)
    with pytest.raises(AnswerdeskError, match=message):
        load_golden(path)
