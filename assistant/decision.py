"""What to do with a turn: answer, ask a short clarifying question, or hand off — and why.

A pure function over typed inputs. Hand-off triggers live here and in the policy file, never in
a prompt, so a prompt change cannot silently disable a hand-off.

Reason codes (fixed list; `policy:<name>` for each policy in assistant/policies.yaml):
    backend_unavailable  a dependency (the LLM endpoint) failed
    human_requested      the customer asked for a person
    angry                anger above the detector's strong level, or rising; or frustration
                         with no confident answer (a confident answer goes first, with an
                         apology and an offer of a person: `Decision.acknowledge`)
    repeated_failure     the same question again, "that didn't help", a thumbs-down
    policy:<name>        a topic a person must handle (refund, cancellation, legal, …)
    out_of_scope         nothing in the knowledge base is close to the question
    low_confidence       the answer's confidence is below the threshold
    unclear              the message is too short or vague to search (clarify, not hand off)
    underspecified       not sure, and the question points at something it never names
                         ("this plan"): ask which one (clarify, not hand off)
    missing_information  a hand-off needs case details first (clarify: assistant/intake.py)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from assistant.clarify import clarifying_question, unresolved, vague_reference
from assistant.text import PROBLEM, content_words
from assistant.triage import Triage
from assistant.types import Answer, Turn

Action = Literal["answer", "clarify", "handoff"]
REASON_CODES = (
    "backend_unavailable",
    "human_requested",
    "angry",
    "repeated_failure",
    "out_of_scope",
    "low_confidence",
    "unclear",
    "underspecified",
    "missing_information",
)
# Below this cosine similarity nothing in the knowledge base is about the question at all.
OUT_OF_SCOPE_SIMILARITY = 0.3
# Too little to search: ask, as a person would, for what would make it searchable.
UNCLEAR = (
    "Could you tell me a little more? What were you trying to do, and what happened instead "
    "(the exact error message, if there was one)?"
)

_EXPLAIN = {
    "backend_unavailable": "the answer service is unavailable",
    "human_requested": "the customer asked for a person",
    "angry": "the customer is upset",
    "repeated_failure": "earlier answers did not help",
    "out_of_scope": "the help center does not cover this",
    "low_confidence": "the assistant is not sure of its answer",
    "unclear": "the message needs one more detail before it can be searched",
    "underspecified": "the question needs to name what it is about",
    "missing_information": "a person will need a few details to start",
}


@dataclass(frozen=True)
class Decision:
    action: Action
    reasons: list[str] = field(default_factory=list)
    explanation: str = ""
    queue: str = "support"
    route_to: str | None = None  # a queue to copy the case to even when answering
    question: str = ""  # the clarifying question to ask, when the action is "clarify"
    acknowledge: bool = False  # answering a frustrated customer: say sorry, offer a person


def explain(code: str) -> str:
    if code.startswith("policy:"):
        return f"{code.split(':', 1)[1].replace('_', ' ')} needs a person"
    return _EXPLAIN.get(code, code)


def is_unclear(question: str, history_turns: int) -> bool:
    """Too little to search: "it doesn't work", "error", "help" with no earlier context."""
    return history_turns == 0 and len(content_words(question)) <= 1


# (stems: "errors" is "error"; "help" is no content word at all, so "help" alone names nothing)
_GENERIC = frozenset(content_words("error problem issue bug broken wrong fail"))


def names_nothing(question: str) -> bool:
    """Says that something is wrong, or asks for help, without a word of what: whatever a
    search finds for it is a guess. "symptoms" or "refunds" alone name a topic."""
    return PROBLEM.search(question) is not None or set(content_words(question)) <= _GENERIC


def decide(triage: Triage, answer: Answer, question: str, history: Sequence[Turn] = ()) -> Decision:
    """`history`: the conversation before this message."""
    history_turns = sum(t.speaker == "user" for t in history)
    earlier = [t.text for t in history]
    urgent: list[str] = []
    if answer.failure:
        urgent.append(answer.failure)
    if triage.human_requested:
        urgent.append("human_requested")
    if triage.angry and (triage.strongly_angry or answer.needs_handoff):
        urgent.append("angry")
    if triage.repeated_failure:
        urgent.append("repeated_failure")
    policies = [f"policy:{name}" for name in triage.policy]
    if not triage.bot_may_answer_first:
        urgent += policies
    if urgent and triage.angry and "angry" not in urgent:
        urgent.append("angry")  # handed off for another reason: the person should know it too
    if urgent:
        return Decision("handoff", urgent, "; ".join(explain(c) for c in urgent), triage.queue)
    reference = vague_reference(question, earlier)
    near = answer.features.get("dense_top", 0.0) >= OUT_OF_SCOPE_SIMILARITY
    if (
        reference
        and near
        and not policies
        and (answer.needs_handoff or unresolved(reference, earlier))
    ):
        # Not sure, or sure of an answer to a question that never says what it is about:
        # ask which one, as a person would, rather than guess or hand off.
        return Decision(
            "clarify",
            ["underspecified"],
            explain("underspecified"),
            triage.queue,
            question=clarifying_question(reference),
        )
    if is_unclear(question, history_turns) and (answer.needs_handoff or names_nothing(question)):
        return Decision("clarify", ["unclear"], explain("unclear"), triage.queue, question=UNCLEAR)
    if answer.needs_handoff:
        code = (
            "out_of_scope"
            if answer.features.get("dense_top", 0.0) < OUT_OF_SCOPE_SIMILARITY
            else "low_confidence"
        )
        return Decision("handoff", [code, *policies], explain(code), triage.queue)
    return Decision(
        "answer",
        policies,
        "",
        triage.queue,
        route_to=triage.queue if policies else None,
        acknowledge=triage.angry,
    )
