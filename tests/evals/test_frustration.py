"""Frustration figures on our labelled support messages, and false hand-offs on foreign sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.anger import AngerDetector
from assistant.ports import Embedder
from assistant.types import Turn
from evals.frustration import (
    DEV_EVAL,
    DEV_SETS,
    MESSAGES,
    conversation,
    frustration_figures,
    held_out,
    load_conversations,
    load_messages,
    split,
    triage_false_handoffs,
)


def test_the_split_is_deterministic_and_about_half() -> None:
    ids = [f"fr-{i:04d}" for i in range(1, 1001)]
    first = [held_out(i) for i in ids]
    assert first == [held_out(i) for i in ids]
    assert 0.45 < sum(first) / len(first) < 0.55


def test_the_labelled_set_is_large_varied_and_both_halves_are_balanced() -> None:
    rows = load_messages()
    assert len(rows) >= 300 and len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"] for r in rows}) == len(rows)
    assert 0.4 <= sum(r["frustrated"] for r in rows) / len(rows) <= 0.5
    dev, held = split(rows)
    assert abs(len(dev) - len(held)) < 0.15 * len(rows)
    for part in (dev, held):
        assert 0.3 < sum(r["frustrated"] for r in part) / len(part) < 0.6
    assert {json.loads(line)["id"] for line in MESSAGES.read_text().splitlines()} == {
        r["id"] for r in rows
    }


TINY: list[dict[str, Any]] = [
    {"id": id_, "text": text, "frustrated": label}
    for id_, text, label in (
        ("a", "This is useless, third time I'm writing and nobody answers!!", True),
        ("b", "How do I change my delivery address?", False),
        ("c", "Unacceptable. Still no refund after three weeks.", True),
        ("d", "Please cancel my trial.", False),
        ("e", "I'm furious, you charged me twice and ignored my emails.", True),
        ("f", "Can you send me last month's invoice?", False),
    )
]


def test_figures_on_a_tiny_fixture_have_both_halves_and_both_detectors() -> None:
    figures = frustration_figures(AngerDetector(), TINY)
    assert set(figures) == {"dev", "held_out"}
    n = sum(held_out(r["id"]) for r in TINY)
    assert figures["held_out"]["detector"]["n"] == n == figures["held_out"]["vader"]["n"]
    assert figures["dev"]["detector"]["n"] == len(TINY) - n
    for half in figures.values():
        for m in half.values():
            assert 0 <= m["precision"] <= 1 and 0 <= m["recall"] <= 1 and 0 <= m["f1"] <= 1


def test_history_turns_become_earlier_turns() -> None:
    row = {
        "question": "and in winter?",
        "history": [
            {"speaker": "user", "text": "Weather in Oslo?"},
            {"speaker": "agent", "text": "Mild summers."},
        ],
    }
    turns = conversation(row)
    assert [t.speaker for t in turns] == ["user", "assistant", "user"]
    assert turns[-1].text == "and in winter?"


def test_false_handoffs_are_counted_by_signal() -> None:
    calm = [[Turn("user", "How do I reset my password?")]]
    repeat = [
        [Turn("user", "how do I export invoices to PDF?"), Turn("assistant", "Use Reports."),
         Turn("user", "how can I export my invoices as a PDF file")],
    ]  # fmt: skip
    result = triage_false_handoffs(calm + repeat, AngerDetector(), None)
    assert result["n"] == 2 and result["rate"] == 0.5
    assert result["by_signal"] == {"repeated_failure": 1}
    assert result["examples"][0]["question"] == "how can I export my invoices as a PDF file"


def test_on_the_held_out_half_we_beat_vader_and_reach_f1_075(embedder: Embedder) -> None:
    figures = frustration_figures(AngerDetector(embedder))["held_out"]
    assert figures["detector"]["f1"] >= 0.75
    assert figures["detector"]["f1"] > figures["vader"]["f1"]


@pytest.mark.slow  # embeds ~1,400 conversations one triage at a time
@pytest.mark.skipif(not DEV_EVAL.exists(), reason=f"{DEV_EVAL} is not on this machine")
@pytest.mark.parametrize("path", DEV_SETS, ids=lambda p: Path(p).parent.name)
def test_answerable_dev_questions_are_rarely_handed_off(embedder: Embedder, path: Path) -> None:
    result = triage_false_handoffs(load_conversations(path), AngerDetector(embedder))
    assert result["n"] > 100 and result["rate"] <= 0.02, result
