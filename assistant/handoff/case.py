"""Cases in the queue: opening one from a typed `CaseSummary`, re-assessing it while it waits,
and what the customer is told about the wait.

The expected wait is the median recent wait in that queue (a default before there is history)
plus a few minutes per as-urgent case ahead, support hours aware (`assistant.handoff.wait`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.handoff.priority import SLA_HOURS, Priority
from assistant.handoff.summary import CaseSummary, triggers
from assistant.handoff.wait import QueueState, SupportHours, estimate
from assistant.settings import Settings
from assistant.store.protocol import Case, CaseStore, NewCase


@dataclass(frozen=True)
class ExpectedWait:
    """What the customer is told about the wait; `minutes` is None when it cannot be estimated."""

    minutes: int | None
    text: str
    within_hours: bool  # support is staffed now
    back_at: str | None = None  # ISO time support opens again, when outside hours


@dataclass(frozen=True)
class HandoffInfo:
    case_id: int
    queue: str
    status: str
    expected_wait: ExpectedWait


@dataclass
class Queues:
    settings: Settings
    store: CaseStore
    now: Callable[[], datetime]

    @property
    def hours(self) -> SupportHours:
        return SupportHours.parse(self.settings.support_hours, self.settings.support_timezone)

    def open(
        self,
        conversation_id: str,
        summary: CaseSummary,
        queue: str,
        *,
        with_sla: bool = True,
        tags: Sequence[str] = (),
    ) -> Case:
        """Open the case; when a turn that failed part-way opened one meanwhile, that one."""
        priority = summary.priority
        due = self.now() + timedelta(hours=SLA_HOURS[priority.label]) if with_sla else None
        new = NewCase(
            summary=summary.to_json(), priority=priority.score, category=summary.category,
            queue=queue, reasons=tuple(priority.why), sla_due_at=due,
            tags=tuple(tags or summary.handoff_reasons),
        )  # fmt: skip
        try:
            return self.store.open_case(conversation_id, new)
        except AnswerdeskError as error:
            again = self.active(conversation_id)
            if error.code is not ErrorCode.CONFLICT or again is None:
                raise
            return again

    def active(self, conversation_id: str) -> Case | None:
        cases = self.store.list_cases(conversation_id=conversation_id, limit=1)
        return cases[0] if cases else None

    def reassess(
        self, case: Case, stored: CaseSummary, reasons: Sequence[str], changes: CaseSummary
    ) -> Case:
        """Anger, a request for a person or a new problem after the hand-off: the case's
        reasons, triggers, sentiment and priority follow (priority never drops while waiting).
        `stored` is the case's summary as read, `changes` the one re-assessed this turn."""
        merged = list(dict.fromkeys([*stored.handoff_reasons, *reasons]))
        priority = changes.priority
        keep = case.priority >= priority.score
        score = case.priority if keep else priority.score
        why = list(case.priority_reasons) if keep else priority.why
        label = stored.priority.label if keep else priority.label
        updated = {
            "handoff_reasons": merged,
            "triggers": triggers(merged),
            "sentiment": dataclasses.asdict(changes.sentiment),
            "priority": dataclasses.asdict(Priority(score, label, why)),
            "also_reported": changes.also_reported,
            "transcript": [dataclasses.asdict(line) for line in changes.transcript],
            "fields": changes.fields,
            "missing": changes.missing,
        }
        if reasons:
            self.store.tag(case.id, add=reasons)
        return self.store.update_summary(case.id, updated, priority=score, reasons=why)

    def info(self, case: Case) -> HandoffInfo:
        return HandoffInfo(case.id, case.queue, case.status, self.expected_wait(case))

    def expected_wait(self, case: Case) -> ExpectedWait:
        now = self.now()
        if case.status != "open":
            text = (
                "Your case is resolved."
                if case.status == "resolved"
                else f"{case.claimed_by or 'A person'} from our team is on your case."
            )
            minutes = None if case.status == "resolved" else 0
            return ExpectedWait(minutes, text, self.hours.is_open(now))
        queue = QueueState(self.store.cases_ahead(case), self.store.claim_waits(case.queue))
        result = estimate(
            now,
            self.hours,
            queue,
            self.settings.default_wait_minutes,
            self.settings.wait_minutes_per_case,
        )
        return ExpectedWait(
            result.minutes,
            result.text,
            result.within_hours,
            result.back_at.isoformat() if result.back_at else None,
        )


def summary_of(case: Case) -> CaseSummary:
    return CaseSummary.from_json(case.summary)
