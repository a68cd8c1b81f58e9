"""Does triage hand off the customers it should, and only those?

Two figures, both about the hand-off signal rather than sentiment:

- **Frustration detection** on our own labelled support messages
  (`evals/data/frustration/messages.jsonl`, labelled by `GUIDE.md` before any rule or threshold
  was tuned). The set is split in two by a hash of each message's id: the dev half may be used
  to tune rules, blends and thresholds (and is added to the head's training data); the held-out
  half is only measured. VADER alone (compound <= -0.05, its authors' negative cut) is the
  baseline beside our detector.
- **False hand-offs** on foreign knowledge bases: the share of *answerable* questions, asked
  with their conversation history, that `triage(...)` would hand to a person, by signal. Every
  one of those is a customer who could have had an answer in seconds.

`python -m evals.frustration [--questions PATH ...]` prints both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.anger import AngerDetector, lexicon
from assistant.triage import Policy, triage
from assistant.types import Turn

MESSAGES = Path(__file__).resolve().parent / "data" / "frustration" / "messages.jsonl"
DEV_EVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev-eval"
DEV_SETS = (DEV_EVAL / "covidfaq" / "questions.jsonl", DEV_EVAL / "mtrag_dev" / "questions.jsonl")
VADER_NEGATIVE = -0.05  # VADER's documented cut between neutral and negative


def held_out(message_id: str) -> bool:
    """Half of the messages, fixed by their id: never tuned on, only measured."""
    return int(hashlib.sha1(message_id.encode("utf-8")).hexdigest(), 16) % 2 == 1


def load_messages(path: Path = MESSAGES) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [{"id": str(r["id"]), "text": str(r["text"]), "frustrated": bool(r["frustrated"])}
            for r in rows]  # fmt: skip


def split(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(dev, held-out)."""
    return [r for r in rows if not held_out(r["id"])], [r for r in rows if held_out(r["id"])]


def prf(predicted: Sequence[bool], truth: Sequence[bool]) -> dict[str, Any]:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    precision = tp / sum(predicted) if any(predicted) else 0.0
    recall = tp / sum(truth) if any(truth) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "n": len(truth), "positives": sum(truth)}  # fmt: skip


def vader_flags(texts: Sequence[str], cut: float = VADER_NEGATIVE) -> list[bool]:
    return [lexicon(t, topic_neutral=False) <= cut for t in texts]  # VADER as it ships


def frustration_figures(
    detector: AngerDetector, rows: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Held-out and dev-half precision/recall/F1/n, for `detector` and for VADER alone."""
    rows = load_messages() if rows is None else rows
    figures: dict[str, Any] = {}
    for name, part in zip(("dev", "held_out"), split(rows), strict=True):
        texts, truth = [r["text"] for r in part], [r["frustrated"] for r in part]
        ours = [r.angry for r in detector.assess_many(texts)] if texts else []
        figures[name] = {"detector": prf(ours, truth), "vader": prf(vader_flags(texts), truth)}
    return figures


def conversation(row: dict[str, Any]) -> list[Turn]:
    """A dev-eval question with its history as earlier turns (agent/assistant → assistant)."""
    turns = [
        Turn("user" if h.get("speaker") == "user" else "assistant", str(h.get("text", "")))
        for h in row.get("history") or ()
    ]
    return [*turns, Turn("user", str(row["question"]))]


def load_conversations(path: Path, answerable: bool = True) -> list[list[Turn]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [conversation(r) for r in rows if bool(r.get("answerable")) is answerable]


def triage_false_handoffs(
    conversations: Sequence[Sequence[Turn]],
    detector: AngerDetector,
    policies: Sequence[Policy] | None = None,
) -> dict[str, Any]:
    """Share of conversations (answerable questions) that triage hands off, by fired signal."""
    by_signal: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    handed = 0
    for turns in conversations:
        result = triage(turns, detector, policies)
        if not result.handoff:
            continue
        handed += 1
        fired = [s for s in result.signals if s.fired]
        by_signal.update(s.name for s in fired)
        if len(examples) < 8:
            examples.append({"question": turns[-1].text, "turns": len(turns),
                             "signals": {s.name: s.reason for s in fired}})  # fmt: skip
    n = len(conversations)
    return {"rate": round(handed / n, 4) if n else 0.0, "n": n, "handed_off": handed,
            "by_signal": dict(by_signal.most_common()), "examples": examples}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from assistant.backends import make_embedder
    from assistant.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="*",
        default=list(DEV_SETS),
        help="dev-eval questions.jsonl files (answerable rows are measured)",
    )
    parser.add_argument(
        "--no-embedder", action="store_true", help="lexicon and rules only (no learned head)"
    )
    parser.add_argument("--examples", action="store_true", help="print false hand-offs")
    args = parser.parse_args(argv)  # fmt: skip

    console = Console()
    detector = AngerDetector(None if args.no_embedder else make_embedder(Settings()))
    figures = frustration_figures(detector)
    table = Table(title="Frustration in support messages (labelled by GUIDE.md)")
    for column in ("half", "detector", "precision", "recall", "F1", "n (frustrated)"):
        table.add_column(column)
    for half, by_detector in figures.items():
        for name, m in by_detector.items():
            table.add_row(half, name, f"{m['precision']:.3f}", f"{m['recall']:.3f}",
                          f"{m['f1']:.3f}", f"{m['n']} ({m['positives']})")  # fmt: skip
    console.print(table)
    recorded = detector.model.metrics.get("goemotions_validation", {}).get("combined")
    if recorded:
        console.print(f"GoEmotions validation (recorded by evals.train_anger): P "
                      f"{recorded['precision']:.3f}  R {recorded['recall']:.3f}  F1 "
                      f"{recorded['f1']:.3f}  n={recorded['n']}")  # fmt: skip

    table = Table(title="False hand-offs on answerable questions (with their history)")
    for column in ("set", "rate", "n", "by signal"):
        table.add_column(column)
    for path in args.questions:
        if not path.exists():
            console.print(f"[yellow]skipped {path}: not found[/]")
            continue
        result = triage_false_handoffs(load_conversations(path), detector)
        signals = ", ".join(f"{k} {v}" for k, v in result["by_signal"].items()) or "-"
        table.add_row(path.parent.name, f"{result['rate']:.2%}", str(result["n"]), signals)
        if args.examples:
            for example in result["examples"]:
                console.print(example)
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
