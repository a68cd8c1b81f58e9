"""The graded batch: 60 answers to golden questions, graded by a person against a rubric.

Metrics count facts and citations; they cannot tell a clear answer from a spliced one. So a
fixed batch of real answers (the extractive backend over the sample knowledge base) is graded
Good / Acceptable / Poor by hand against `data/graded/RUBRIC.md`, and each grade is stored
with the exact text it judged and that text's sha256. When the assistant's answer changes,
its grade is cleared rather than carried over: a grade vouches for one text only.

The batch: the answerable cases of `data/sample/golden.yaml` in file order (n of them); the
i-th of 60 items is answerable case ⌊i·n/60⌋ (every second or third case).

    python -m evals.graded                # shares Good / Acceptable / Poor, ungraded items
    python -m evals.graded --refresh      # re-run the 60 answers; keep grades of unchanged text

`--refresh` indexes the sample knowledge base into `--data-dir` (incremental: a no-op when
it is up to date) and answers with the same `SupportAssistant` the server builds.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from assistant.service import SupportAssistant
from evals.golden import GoldenCase, load_golden
from evals.runner import run_case

Grade = Literal["Good", "Acceptable", "Poor"]
GRADES: tuple[Grade, ...] = ("Good", "Acceptable", "Poor")
BATCH_SIZE = 60
REPO = Path(__file__).resolve().parents[1]
SAMPLE_KB = REPO / "data" / "sample"
GOLDEN = SAMPLE_KB / "golden.yaml"
ANSWERS = Path(__file__).resolve().parent / "data" / "graded" / "answers.yaml"
GOAL_GOOD = 0.80  # issue 11: at least 80 % Good …
GOAL_POOR = 0.05  # … and at most 5 % Poor
HEADER = """\
# The graded batch (evals/graded.py): answers of the extractive backend over the sample
# knowledge base to 60 answerable golden questions, graded by hand against RUBRIC.md.
# Regenerate with `python -m evals.graded --refresh`: `answer`, `citations` and `sha256` are
# rewritten; `grade` and `notes` are kept only while the answer's text and action are unchanged
# (else grade: null, to be graded again). Every grade other than Good has a one-line note.
"""


class GradedAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str  # the golden case
    question: str  # the customer's message that was answered
    earlier: list[str] = Field(default_factory=list)  # earlier messages of a multi-turn case
    action: str  # what the turn did: answer | clarify | handoff
    answer: str  # exactly what the assistant said
    citations: list[str] = Field(default_factory=list)  # document ids cited by that text
    sha256: str
    grade: Grade | None = None
    notes: str = ""


class GradedBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[GradedAnswer]


def pick(cases: Sequence[GoldenCase], size: int = BATCH_SIZE) -> list[GoldenCase]:
    """`size` answerable cases spread evenly over the file, the same ones on every run."""
    answerable = [c for c in cases if c.answerable]
    if len(answerable) <= size:
        return answerable
    return [answerable[i * len(answerable) // size] for i in range(size)]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def produce(assistant: SupportAssistant, cases: Sequence[GoldenCase]) -> list[GradedAnswer]:
    """Each case answered as the eval answers it (turn by turn), ungraded."""
    items = []
    for case in cases:
        result = run_case(assistant, case)
        shown = result.answer == result.draft  # else the not-sure text, which cites nothing
        items.append(
            GradedAnswer(
                id=case.id,
                question=case.messages[-1],
                earlier=case.messages[:-1],
                action=result.decision,
                answer=result.answer,
                citations=result.cited if shown else [],
                sha256=digest(result.answer),
            )
        )
    return items


def changed(old: GradedAnswer, new: GradedAnswer) -> bool:
    """The grade no longer vouches for the answer: other text, or another action."""
    return old.sha256 != new.sha256 or old.action != new.action or old.question != new.question


def merge(graded: Sequence[GradedAnswer], fresh: Sequence[GradedAnswer]) -> list[GradedAnswer]:
    """The fresh answers, carrying over grade and notes where the graded text is unchanged."""
    by_id = {item.id: item for item in graded}
    merged = []
    for new in fresh:
        old = by_id.get(new.id)
        if old is not None and not changed(old, new):
            new = new.model_copy(update={"grade": old.grade, "notes": old.notes})
        merged.append(new)
    return merged


@dataclass(frozen=True)
class Review:
    """What stops the graded batch from being trusted as it stands."""

    changed: list[str]  # graded, but the assistant now says something else
    missing: list[str]  # in the batch now, never graded (new selection, or a new answer)
    unnoted: list[str]  # graded below Good without saying why

    @property
    def clean(self) -> bool:
        return not (self.changed or self.missing or self.unnoted)


def review(graded: Sequence[GradedAnswer], fresh: Sequence[GradedAnswer]) -> Review:
    by_id = {item.id: item for item in graded}
    changed_ids, missing = [], []
    for new in fresh:
        old = by_id.get(new.id)
        if old is None or old.grade is None:
            missing.append(new.id)
        elif changed(old, new):
            changed_ids.append(new.id)
    unnoted = [i.id for i in graded if i.grade not in (None, "Good") and not i.notes.strip()]
    return Review(changed_ids, missing, unnoted)


def shares(items: Sequence[GradedAnswer]) -> dict[str, Any]:
    """Shares of the graded items by grade, and the ungraded ones."""
    counts = Counter(i.grade for i in items if i.grade is not None)
    graded = sum(counts.values())
    return {
        "items": len(items),
        "graded": graded,
        **{g.lower(): (counts[g] / graded if graded else None) for g in GRADES},
        "ungraded": [i.id for i in items if i.grade is None],
    }


def meets_goal(figures: dict[str, Any]) -> bool:
    good, poor = figures["good"], figures["poor"]
    return good is not None and good >= GOAL_GOOD and poor <= GOAL_POOR


def load(path: Path = ANSWERS) -> list[GradedAnswer]:
    if not path.exists():
        return []
    return GradedBatch.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).items


class _Dumper(yaml.SafeDumper):
    """Multi-line answers as literal blocks, so a diff of the file reads like the answers."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def save(items: Sequence[GradedAnswer], path: Path = ANSWERS) -> None:
    data = {"items": [item.model_dump() for item in items]}
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + body, encoding="utf-8")


def figures(results: Sequence[Any], path: Path = ANSWERS) -> dict[str, Any]:
    """The committed grades for the eval report, with the cases whose answer in this run
    (`CaseResult`s of the sample golden set) is not the text that was graded."""
    items = load(path)
    now = {r.id: r.answer for r in results}
    stale = [i.id for i in items if i.id in now and digest(now[i.id]) != i.sha256]
    return {**shares(items), "changed_since_grading": stale}


def refresh(data_dir: Path, path: Path = ANSWERS) -> list[GradedAnswer]:
    """Index the sample knowledge base, answer the batch, keep the grades still valid."""
    from assistant.settings import Settings
    from ingest.sync import Indexer

    settings = Settings(data_dir=data_dir, sources=[SAMPLE_KB], chat_backend="extractive")
    with Indexer(settings) as indexer:
        indexer.sync()
    assistant = SupportAssistant.from_settings(settings)
    try:
        fresh = produce(assistant, pick(load_golden(GOLDEN)))
    finally:
        assistant.index.close()
    merged = merge(load(path), fresh)
    save(merged, path)
    return merged


def _print(items: Sequence[GradedAnswer]) -> None:
    result = shares(items)
    print(f"{result['items']} answers, {result['graded']} graded")
    for grade in GRADES:
        share = result[grade.lower()]
        print(f"  {grade:<10} {'n/a' if share is None else f'{share:.1%}'}")
    goal = "met" if meets_goal(result) else "NOT met"
    print(f"goal (>= {GOAL_GOOD:.0%} Good, <= {GOAL_POOR:.0%} Poor): {goal}")
    for item in items:
        if item.grade not in (None, "Good"):
            print(f"  {item.grade:<10} {item.id}: {item.notes}")
    if result["ungraded"]:
        print("ungraded: " + ", ".join(result["ungraded"]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--refresh", action="store_true", help="re-run the answers first")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "answerdesk-graded",
        help="where --refresh keeps the sample index (reused between runs)",
    )
    parser.add_argument("--file", type=Path, default=ANSWERS, help="the graded answers")
    args = parser.parse_args(argv)
    items = refresh(args.data_dir, args.file) if args.refresh else load(args.file)
    _print(items)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
