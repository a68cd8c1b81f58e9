"""A hand-off case's priority and the queue's order: pure functions.

One model: `priority_of` scores a case when it opens, and again when the customer's anger or a
new problem re-assesses it while it waits (anger and whether it is rising, plan tier, churn
risk, policy and security urgency, a person asked for, earlier answers that failed). Waiting
raises an open case's urgency in the queue, so routine questions are not starved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.store.protocol import Case, priority_label
from assistant.triage import Triage, load_policies

BASE = 0.15
PLAN_WEIGHT = {"business": 0.15, "enterprise": 0.25, "vip": 0.25}
SLA_HOURS = {"urgent": 1, "high": 4, "normal": 8, "low": 24}
WAIT_BOOST_PER_HOUR = 0.1
MAX_WAIT_BOOST = 0.3


@dataclass(frozen=True)
class Priority:
    score: float  # 0–1
    label: str  # urgent | high | normal | low
    why: list[str]  # for the agent


def priority_of(triage: Triage, reasons: Sequence[str]) -> Priority:
    """The one priority model: anger (more when rising), a person asked for, answers that failed,
    the most urgent policy's `urgency` (policies.yaml), churn risk, and the plan tier."""
    why: list[str] = []
    score = BASE
    if triage.angry or "angry" in reasons:
        rising = triage.anger_trend > 0.05
        score += 0.3 + 0.1 * rising
        why.append("customer is upset" + (" and getting angrier" if rising else ""))
    policies = [r.split(":", 1)[1] for r in reasons if r.startswith("policy:")]
    if policies:  # the reasons may come from an earlier message than this turn's triage
        by_name = {p.name: p.urgency for p in load_policies()}
        urgent = max([triage.urgency, *(by_name.get(name, 1) for name in policies)])
        score += 0.15 * max(1, urgent)
        security = "security_incident" in policies
        why.append("possible security incident" if security else "needs a person by policy")
    if "policy:cancellation" in reasons:
        score += 0.2
        why.append("churn risk: wants to cancel")
    if "human_requested" in reasons:
        score += 0.1
        why.append("asked for a person")
    if "repeated_failure" in reasons:
        score += 0.1
        why.append("earlier answers did not help")
    plan = triage.customer.plan.lower()
    if plan in PLAN_WEIGHT:
        score += PLAN_WEIGHT[plan]
        why.append(f"{plan} plan")
    if triage.customer.vip:
        score += PLAN_WEIGHT["vip"]
        why.append("VIP customer")
    score = round(min(1.0, score), 3)
    return Priority(score, priority_label(score), why or ["routine question"])


def reasons_of(triage: Triage) -> list[str]:
    """The hand-off reason codes triage alone implies (as `decide()` names them)."""
    codes = ["angry"] * triage.angry + ["human_requested"] * triage.human_requested
    codes += ["repeated_failure"] * triage.repeated_failure
    return codes + [f"policy:{name}" for name in triage.policy]


def urgency(case: Case, now: datetime) -> float:
    """The queue's order: the case's priority plus 0.1 per hour an open case has waited (at most
    +0.3), so a routine question is not starved by a stream of slightly more urgent ones."""
    if case.status != "open":
        return case.priority
    hours = max(0.0, (now - case.created_at).total_seconds() / 3600)
    return min(1.0, case.priority + min(MAX_WAIT_BOOST, WAIT_BOOST_PER_HOUR * hours))
