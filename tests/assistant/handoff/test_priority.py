"""Case priority and queue order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.priority import BASE, priority_of, urgency
from assistant.store.protocol import Case, Customer
from assistant.triage import Triage

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
    p = priority_of(CALM, Customer(), ["low_confidence"])
    assert (p.score, p.label, p.why) == (BASE, "low", ["routine question"])


def test_anger_rising_plan_churn_and_security_raise_priority() -> None:
    angry = Triage(angry=True, anger=0.8, human_requested=False, repeated_failure=False,
                   policy=["cancellation"], reasons=[], anger_trend=0.2)  # fmt: skip
    p = priority_of(angry, Customer(plan="Enterprise"), ["angry", "policy:cancellation"])
    assert p.label == "urgent" and p.score == 1.0
    assert p.why == [
        "customer is upset and getting angrier",
        "enterprise plan",
        "churn risk: wants to cancel",
        "needs a person by policy",
    ]
    security = priority_of(CALM, Customer(), ["policy:security_incident"])
    assert security.label == "normal" and "possible security incident" in security.why


def test_waiting_raises_an_open_cases_urgency_up_to_a_cap() -> None:
    assert urgency(case(0.2), NOW) == 0.2
    assert urgency(case(0.2, waited=timedelta(hours=2)), NOW) == 0.4
    assert urgency(case(0.2, waited=timedelta(hours=10)), NOW) == 0.5
    assert urgency(case(0.2, status="claimed", waited=timedelta(hours=10)), NOW) == 0.2
