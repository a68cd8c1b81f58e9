"""Case completeness: do hand-offs arrive with what a person needs to start?

The golden set's hand-off cases run through the `HelpDesk` (a temporary SQLite store) with a
simulated customer who answers each intake question once, with one plain phrasing per detail.
This measures the intake itself — that it asks for the right details, at most twice, never when
the customer is upset or asked for a person, and reads the answers back — not how willing real
customers are to answer. Two runs: signed in (the in-product widget passes the account, as it
does for logged-in customers) and anonymous.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

from assistant.desk import HelpDesk
from assistant.service import SupportAssistant
from assistant.store import SqlCaseStore
from assistant.store.protocol import Customer
from evals.golden import GoldenCase

CUSTOMER_MESSAGES = Path(__file__).resolve().parent / "data" / "anger_customer_messages.jsonl"
# How the simulated customer answers a question about each detail.
ANSWERS = {
    "account": "It's {email}.",
    "product_area": "It's about {area}.",
    "error_message": 'The screen says "Something went wrong, please try again later".',
    "started": "It started yesterday.",
    "charge": "The $49 charge on the 3rd of this month.",
    "seats": "We'd be about 25 people.",
}


@dataclass(frozen=True)
class HandoffRun:
    case_id: str
    handed_off: bool
    questions: int
    missing: list[str]
    reasons: list[str]

    @property
    def complete(self) -> bool:
        return self.handed_off and not self.missing


def reply_to(asks_for: Sequence[str], email: str, area: str) -> str:
    return " ".join(ANSWERS[f].format(email=email, area=area) for f in asks_for)


def run_case(desk: HelpDesk, case: GoldenCase, signed_in: bool) -> HandoffRun:
    email = f"{case.id}@customers.example"
    customer = Customer(id=case.id, email=email, plan=case.tags.get("plan", "")) if signed_in \
        else Customer()  # fmt: skip
    conversation = desk.start(customer)
    questions = 0
    turn = None
    for text in case.messages:
        turn = desk.send(conversation.id, conversation.token, text)
    # Intake questions come as `clarify`, or inside an answer that also routed a case (sales).
    while turn is not None and turn.asks_for and questions < 5:
        questions += 1
        area = case.tags.get("category", "my account")
        turn = desk.send(conversation.id, conversation.token, reply_to(turn.asks_for, email, area))
    if turn is None or turn.handoff is None:
        return HandoffRun(case.id, False, questions, [], [])
    summary = desk.agents.case(turn.handoff.case_id).summary
    return HandoffRun(
        case.id, True, questions, list(summary["missing"]), list(summary["handoff_reasons"])
    )


def run(
    assistant: SupportAssistant,
    cases: Sequence[GoldenCase],
    signed_in: bool,
    progress: Callable[[int, int], None] | None = None,
) -> list[HandoffRun]:
    chosen = [c for c in cases if c.expected == "handoff"]
    with tempfile.TemporaryDirectory(prefix="answerdesk-handoffs-") as folder:
        url = f"sqlite:///{Path(folder) / 'cases.sqlite3'}"
        store = SqlCaseStore.open(url)
        desk = HelpDesk(assistant.settings, store, assistant)
        try:
            results = []
            for n, case in enumerate(chosen, start=1):
                results.append(run_case(desk, case, signed_in))
                if progress:
                    progress(n, len(chosen))
            return results
        finally:
            store.close()


def summarise(runs: Sequence[HandoffRun]) -> dict[str, Any]:
    handed = [r for r in runs if r.handed_off]
    return {
        "cases": len(runs),
        "handed_off": len(handed),
        "complete": round(mean(r.complete for r in handed), 4) if handed else None,
        "questions_mean": round(mean(r.questions for r in handed), 3) if handed else None,
        "questions_max": max((r.questions for r in handed), default=0),
        "incomplete": [{"id": r.case_id, "missing": r.missing} for r in handed if r.missing],
    }


def evaluate(
    assistant: SupportAssistant,
    cases: Sequence[GoldenCase],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    return {
        "signed_in": summarise(run(assistant, cases, True, progress)),
        "anonymous": summarise(run(assistant, cases, False, progress)),
    }


def anger_figures(assistant: SupportAssistant) -> dict[str, Any]:
    """The anger detector's precision/recall/F1: on the GoEmotions validation split (held out
    from training; recorded in the artifact by `python -m evals.train_anger`), and measured now
    on the hand-labelled customer messages and the support-frustration set's held-out half."""
    from assistant.anger import HEAD_FILE, AngerDetector
    from evals.frustration import frustration_figures

    recorded = json.loads(HEAD_FILE.read_text(encoding="utf-8"))["metrics"]
    rows = [
        json.loads(line)
        for line in CUSTOMER_MESSAGES.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    detector = assistant.detector or AngerDetector(assistant.embedder)
    flagged = [r.angry for r in detector.assess_many([row["text"] for row in rows])]
    truth = [bool(row["angry"]) for row in rows]
    hits = sum(f and t for f, t in zip(flagged, truth, strict=True))
    precision = hits / sum(flagged) if any(flagged) else 0.0
    recall = hits / sum(truth) if any(truth) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    held_out = recorded["goemotions_validation"]["combined"]
    return {
        "goemotions_validation": {k: held_out[k] for k in ("precision", "recall", "f1", "n")},
        "customer_messages": {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "n": len(rows),
        },
        # The support-frustration set's held-out half (never tuned on), beside VADER alone.
        **{
            f"support_held_out{'' if who == 'detector' else '_vader'}": {
                k: v for k, v in figures.items() if k in ("precision", "recall", "f1", "n")
            }
            for who, figures in frustration_figures(detector)["held_out"].items()
        },
    }
