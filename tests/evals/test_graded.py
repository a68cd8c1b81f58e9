"""The graded batch: a grade vouches for one exact answer text, and the grades meet the goal.

When the assistant's answer to a graded question changes, the test names the items to grade
again (`python -m evals.graded --refresh`, then grade them by evals/data/graded/RUBRIC.md)
instead of trusting the old grade silently.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.service import SupportAssistant
from evals.golden import GoldenCase, load_golden
from evals.graded import (
    BATCH_SIZE,
    GOAL_GOOD,
    GOAL_POOR,
    GOLDEN,
    GradedAnswer,
    digest,
    figures,
    load,
    meets_goal,
    merge,
    pick,
    produce,
    review,
    save,
    shares,
)

REGRADE = "re-grade: `python -m evals.graded --refresh`, then grade by RUBRIC.md"


@pytest.fixture(scope="module")
def fresh(sample_assistant: SupportAssistant) -> list[GradedAnswer]:
    return produce(sample_assistant, pick(load_golden(GOLDEN)))


def test_every_graded_answer_is_still_the_text_that_was_graded(
    fresh: list[GradedAnswer],
) -> None:
    found = review(load(), fresh)
    assert not found.changed, f"answers changed since they were graded: {found.changed}; {REGRADE}"
    assert not found.missing, f"answers never graded: {found.missing}; {REGRADE}"


def test_the_committed_batch_is_the_selection_and_fully_graded() -> None:
    items = load()
    assert [i.id for i in items] == [c.id for c in pick(load_golden(GOLDEN))]
    assert all(i.sha256 == digest(i.answer) for i in items), "an answer was edited by hand"
    assert not review(items, items).unnoted, "every grade below Good needs a note"


# The current grading (extractive backend, 60 answers) is far from the goal: 42 % Good, 22 % Poor
# (hand-offs of answerable questions, and answers whose article part misses the point). Strict:
# once re-graded answers meet the goal this xfail fails, and the mark must go.
@pytest.mark.xfail(strict=True, reason="the graded batch is below the goal: 45 % Good, 23 % Poor")
def test_the_committed_grades_meet_the_goal() -> None:
    figures = shares(load())
    assert figures["ungraded"] == []
    assert meets_goal(figures), (
        f"Good {figures['good']:.0%} (goal >= {GOAL_GOOD:.0%}), "
        f"Poor {figures['poor']:.0%} (goal <= {GOAL_POOR:.0%})"
    )


def test_the_batch_is_sixty_answerable_cases_spread_over_the_golden_set() -> None:
    cases = load_golden(GOLDEN)
    chosen = pick(cases)
    answerable = [c for c in cases if c.answerable]
    assert len(chosen) == BATCH_SIZE == len({c.id for c in chosen})
    assert all(c.answerable for c in chosen)
    assert chosen[0] == answerable[0] and chosen[-1] in answerable[-3:]
    assert chosen == pick(cases)


def _item(case_id: str, text: str, grade: str | None = None) -> GradedAnswer:
    return GradedAnswer.model_validate(
        {"id": case_id, "question": "q", "action": "answer", "answer": text,
         "sha256": digest(text), "grade": grade, "notes": "n" if grade else ""}
    )  # fmt: skip


def test_a_grade_is_kept_for_the_same_text_and_cleared_for_another() -> None:
    graded = [_item("a", "same", "Poor"), _item("b", "old", "Good")]
    merged = merge(graded, [_item("a", "same"), _item("b", "new"), _item("c", "added")])
    assert [(i.id, i.grade, i.notes) for i in merged] == [
        ("a", "Poor", "n"),
        ("b", None, ""),
        ("c", None, ""),
    ]
    found = review(graded, [_item("a", "same"), _item("b", "new"), _item("c", "added")])
    assert (found.changed, found.missing) == (["b"], ["c"])


def test_an_answer_that_became_a_handoff_needs_a_new_grade() -> None:
    graded = [_item("a", "same", "Good")]
    handed_off = _item("a", "same").model_copy(update={"action": "handoff"})
    assert merge(graded, [handed_off])[0].grade is None


def test_shares_count_graded_items_only() -> None:
    items = [_item("a", "x", "Good"), _item("b", "y", "Poor"), _item("c", "z")]
    assert shares(items) == {
        "items": 3,
        "graded": 2,
        "good": 0.5,
        "acceptable": 0.0,
        "poor": 0.5,
        "ungraded": ["c"],
    }


def test_pick_takes_every_case_of_a_small_set() -> None:
    cases = [GoldenCase(id=f"c{i}", question="q") for i in range(5)]
    assert pick(cases, size=60) == cases


def test_answers_are_stored_exactly(tmp_path: Path) -> None:
    texts = [
        "1. Open **Settings**.\n2. Click *Save*.  \n",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "é — “q”: x",
    ]
    items = [_item(f"c{n}", text, "Good") for n, text in enumerate(texts)]
    save(items, tmp_path / "answers.yaml")
    assert load(tmp_path / "answers.yaml") == items


def test_the_eval_report_names_graded_answers_this_run_changed(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    save([_item("a", "same", "Good"), _item("b", "old", "Acceptable")], path)
    run = [SimpleNamespace(id="a", answer="same"), SimpleNamespace(id="b", answer="new")]
    found = figures(run, path)
    assert (found["good"], found["acceptable"]) == (0.5, 0.5)
    assert found["changed_since_grading"] == ["b"]
