"""A small help center cut from a foreign question set: how answerdesk does on a few documents.

A customer trying answerdesk often starts with a handful of FAQs. This keeps `documents` of a
set's corpus (chosen by `seed`), every question answered only by them, and `unanswerable` of
the questions answered by the documents left out, relabelled as unanswerable: on a set about one
subject, those are close to what is covered, as a small help center's unanswered questions are.

    python -m evals.subset --corpus ../shared/data/dev-eval/covidfaq/corpus.jsonl \
        --questions ../shared/data/dev-eval/covidfaq/questions.jsonl --documents 6 --seed 17 \
        --out /tmp/covid-6
    answerdesk eval --corpus /tmp/covid-6/corpus.jsonl --questions /tmp/covid-6/questions.jsonl
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

from assistant.store.protocol import write_jsonl
from evals.external import load_jsonl

Row = dict[str, Any]


def cut(
    corpus: list[Row], questions: list[Row], documents: int, unanswerable: int, seed: int
) -> tuple[list[Row], list[Row]]:
    rng = random.Random(seed)
    kept = rng.sample(corpus, documents)
    ids = {row["id"] for row in kept}
    answered = [q for q in questions if q.get("gold_ids") and set(q["gold_ids"]) <= ids]
    elsewhere = [q for q in questions if not set(q.get("gold_ids") or []) & ids]
    missing = [
        {**q, "gold_ids": [], "answerable": False}
        for q in rng.sample(elsewhere, min(unanswerable, len(elsewhere)))
    ]
    return kept, answered + missing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--documents", type=int, required=True, help="documents to keep")
    parser.add_argument("--unanswerable", type=int, default=40, help="questions about the rest")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="folder for the two files")
    args = parser.parse_args(argv)
    kept, asked = cut(
        load_jsonl(args.corpus),
        load_jsonl(args.questions),
        args.documents,
        args.unanswerable,
        args.seed,
    )
    write_jsonl(kept, args.out / "corpus.jsonl")
    write_jsonl(asked, args.out / "questions.jsonl")
    answerable = sum(bool(q.get("answerable", True)) for q in asked)
    print(f"{len(kept)} documents, {answerable} answerable and {len(asked) - answerable} not")


if __name__ == "__main__":
    main()
