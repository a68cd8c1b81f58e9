"""Where the conversation stands, and what the customer's new message is: pure functions.

Every message is classified before anything is decided (`classify`): an answer to our pending
intake question, a new question or problem, a request for a person, or frustration. The traps
this prevents: a new how-to question met with the intake question again, a detail read as a
question, "get me a human" answered with an article.

The state is read from the stored transcript (the API workers keep nothing): the pending
intake (`pending_intake`: our intake questions since the last hand-off, the fields they asked
for — never asked twice — and the hand-off they belong to) and the issue a hand-off is about
(`issue_of`: the first problem in this episode that no answer resolved, not the last message).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.handoff.intake import collect, reports_problem
from assistant.probes import is_question
from assistant.store.protocol import Customer, StoredMessage
from assistant.triage import Triage

Intent = Literal["intake_answer", "question", "person", "frustration"]
# The customer-message meta key the turn stores the intent under.
INTENT_KEY = "intent"
_WORDS = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True)
class PendingIntake:
    """A hand-off waiting for details we asked for."""

    reasons: list[str]
    explanation: str
    queue: str
    asked: tuple[str, ...]  # every field asked for so far in this episode
    found: dict[str, str]  # fields read so far, as the customer gave them (before redaction)
    questions: int  # intake questions already sent in this episode
    immediate: bool  # our latest message is that question


@dataclass(frozen=True)
class Classified:
    intent: Intent
    angry: bool
    wants_person: bool
    supplies: tuple[str, ...] = ()  # asked-for fields this message gives


def episode(messages: Sequence[StoredMessage]) -> list[StoredMessage]:
    """The messages since the last hand-off opened a case (intake is counted per hand-off)."""
    last = max((i for i, m in enumerate(messages) if m.kind == "handoff"), default=-1)
    return list(messages[last + 1 :])


def pending_intake(messages: Sequence[StoredMessage]) -> PendingIntake | None:
    """The hand-off we are collecting details for, if we asked and no case opened since."""
    current = episode(messages)
    asked = [m for m in current if m.speaker == "assistant" and m.kind == "intake"]
    if not asked:
        return None
    handoff = asked[-1].meta.get("handoff")
    if not isinstance(handoff, dict):
        return None
    fields = tuple(dict.fromkeys(f for m in asked for f in m.meta.get("asks_for", [])))
    found = {k: str(v) for m in asked for k, v in dict(m.meta.get("found", {})).items()}
    last_said = next((m for m in reversed(current) if m.speaker == "assistant"), None)
    return PendingIntake(
        reasons=list(handoff.get("reasons", [])),
        explanation=str(handoff.get("explanation", "")),
        queue=str(handoff.get("queue", "support")),
        asked=fields,
        found=found,
        questions=len(asked),
        immediate=last_said is asked[-1],
    )


def classify(
    text: str,
    triage: Triage,
    pending: PendingIntake | None,
    customer: Customer,
    waiting: bool = False,
) -> Classified:
    """What this message is. A request for a person or anger is read first (it changes what
    happens whatever else the message says); a message that states a problem or asks
    something is a question; right after our intake question, anything else answers it.
    While a case `waiting` for a person, a detail given unasked ("the $29 charge on 1 March")
    is for the case too, not a question to answer."""
    angry, person = triage.angry, triage.human_requested
    supplies: tuple[str, ...] = ()
    asks = is_question(text)
    problem = reports_problem(text) or asks
    if pending is not None:
        found = collect([text], customer)
        supplies = tuple(f for f in pending.asked if f in found and not _from_context(f, customer))
    elif waiting and not problem:
        supplies = tuple(f for f in collect([text], customer) if not _from_context(f, customer))
    # A question is a question even when it names a detail ("how do I ... in banking?").
    if pending is not None and not asks and (supplies or (pending.immediate and not problem)):
        intent: Intent = "intake_answer"
    elif supplies and not asks:
        intent = "intake_answer"
    elif problem and len(_WORDS.findall(text)) >= 3:
        intent = "question"
    elif person:
        intent = "person"
    elif angry:
        intent = "frustration"
    else:
        intent = "question"
    return Classified(intent, angry, person, supplies)


def _from_context(field: str, customer: Customer) -> bool:
    """Fields the widget's context fills are never "given" by a message."""
    return (field == "account" and bool(customer.email or customer.id)) or (
        field == "product_area" and bool(customer.product_area)
    )


def issue_of(
    messages: Sequence[StoredMessage], current: str, current_intent: Intent, failed: bool = False
) -> str:
    """The problem a hand-off is about: the first question or problem in this episode that was
    not answered (our reply asked for details or handed off); when our answers `failed`, the
    first problem reported; else the current message when it is one, else the latest problem
    reported (an answer to "my feed stopped updating" may not have fixed it; an answered how-to
    question is done), else the latest question asked.
    Requests for a person, anger and details are never the issue; "" when the customer has not
    said what it is yet."""
    current_episode = episode(messages)
    unresolved: list[str] = []
    asked: list[str] = []
    problems: list[str] = []  # something reported broken: an answer may not have fixed it
    for i, m in enumerate(current_episode):
        if m.speaker != "customer" or m.meta.get(INTENT_KEY, "question") != "question":
            continue
        asked.append(m.text)
        if reports_problem(m.text):
            problems.append(m.text)
        reply = next((r for r in current_episode[i + 1 :] if r.speaker == "assistant"), None)
        if reply is not None and reply.kind in ("intake", "handoff"):
            unresolved.append(m.text)
    if unresolved:
        return unresolved[0]
    earlier = [p for p in problems if p != current] or [a for a in asked if a != current]
    if failed and earlier:
        # Our answers did not fix it ("still bounced" after a thumbs-down): the issue is the
        # problem first reported (else the first question); this message is what was tried.
        return earlier[0]
    if current_intent == "question":
        return current
    if not asked and len(_WORDS.findall(current)) >= 6:
        return current  # "my payroll is stuck, get me a human": the summary keeps the topic
    if problems:
        return problems[-1]
    return asked[-1] if asked else ""
