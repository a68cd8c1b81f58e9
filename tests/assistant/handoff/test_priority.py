"""Case priority and queue order."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from assistant.handoff.priority import BASE, priority_of, reasons_of, urgency
from assistant.store.protocol import Case
from assistant.triage import CustomerContext, Triage, triage
from assistant.types import Turn

CALM = Triage(angry=False, anger=0.1, human_requested=False, repeated_failure=False,
              policy=[], reasons=[])  # fmt: skip
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def case(priority: float, status: str = "open", waited: timedelta = timedelta(0)) -> Case:
    return Case(
        id=1, conversation_id="c", status=status, priority=priority,  # type: ignore[arg-type]
        priority_reasons=(), category="general", queue="support", summary={}, tags=(),
        created_at=NOW - waited,
    )  # fmt: skip


def test_a_routine_question_is_low_priority_and_says_why() -> None:
    p = priority_of(CALM, ["low_confidence"])
    assert (p.score, p.label, p.why) == (BASE, "low", ["routine question"])


def test_anger_rising_plan_churn_and_security_raise_priority() -> None:
    angry = Triage(angry=True, anger=0.8, human_requested=False, repeated_failure=False,
                   policy=["cancellation"], reasons=[], anger_trend=0.2, urgency=1,
                   customer=CustomerContext(plan="Enterprise"))  # fmt: skip
    p = priority_of(angry, ["angry", "policy:cancellation"])
    assert p.label == "urgent" and p.score == 1.0
    assert p.why == [
        "customer is upset and getting angrier",
        "needs a person by policy",
        "churn risk: wants to cancel",
        "enterprise plan",
    ]
    security = priority_of(dataclasses.replace(CALM, urgency=3), ["policy:security_incident"])
    assert security.label == "high" and "possible security incident" in security.why


def test_an_angry_request_for_a_person_is_never_low() -> None:
    turns = [Turn("user", "This is the third time I'm asking, your product is garbage, get me "
                          "a human")]  # fmt: skip
    signals = triage(turns)
    p = priority_of(signals, reasons_of(signals))
    assert signals.angry and signals.human_requested
    assert p.label != "low" and "asked for a person" in p.why


@pytest.mark.parametrize(("context", "expected"), [
    (CustomerContext(), "low"),
    (CustomerContext(plan="Business"), "normal"),
    (CustomerContext(plan="enterprise"), "normal"),
    (CustomerContext(plan="free", vip=True), "normal"),
])  # fmt: skip
def test_plan_and_vip_raise_priority_but_not_the_decision(
    context: CustomerContext, expected: str
) -> None:
    signals = dataclasses.replace(CALM, human_requested=True, customer=context)
    assert priority_of(signals, ["human_requested"]).label == expected


def test_waiting_raises_an_open_cases_urgency_up_to_a_cap() -> None:
    assert urgency(case(0.2), NOW) == 0.2
    assert urgency(case(0.2, waited=timedelta(hours=2)), NOW) == 0.4
    assert urgency(case(0.2, waited=timedelta(hours=10)), NOW) == 0.5
    assert urgency(case(0.2, status="claimed", waited=timedelta(hours=10)), NOW) == 0.2
