"""The admin dashboard's wire shapes: the date range it is asked for, its figures as JSON
(each headline with its definition and the published reference point beside it), and each
table as a CSV download. The figures themselves come from `assistant/store/dashboard.py`."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.handoff.wait import SupportHours
from assistant.store.dashboard import REFERENCES, Dashboard, Rate

MAX_DAYS = 366
OPEN_AFTER = timedelta(days=92)
HOURS_NOTE = ", counting support hours only (the wall-clock time is beside it)."
DEFAULT_DAYS = 30
Table = Literal[
    "headline", "trend", "reasons", "by_hour", "csat_by_queue", "csat_by_article", "agents"
]


def date_range(since: date | None, until: date | None, today: date) -> tuple[datetime, datetime]:
    """Whole UTC days, `until` included: [since 00:00, the day after until 00:00)."""
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, "`since` must not be after `until`.")
    if (until - since).days >= MAX_DAYS:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, f"A dashboard covers at most {MAX_DAYS} days."
        )
    start = datetime.combine(since, time(), UTC)
    return start, datetime.combine(until + timedelta(days=1), time(), UTC)


def open_hours(
    hours: SupportHours, since: datetime, until: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The support team's open intervals the range's waits can span: from its start until
    now, or OPEN_AFTER past its end (a wait still running then counts support time to there)."""
    return hours.open_between(since, min(now, until + OPEN_AFTER))


class FigureOut(BaseModel):
    key: str
    label: str
    definition: str
    value: float | None  # a share (0–1) or seconds
    unit: Literal["share", "seconds", "count"]
    count: int | None = None
    total: int | None = None
    reference: float | None = None  # the published reference point, same unit
    reference_label: str = ""
    wall_clock: float | None = None  # a time within support hours: the same on the clock


class DashboardOut(BaseModel):
    since: date
    until: date  # included
    conversations: int
    headline: list[FigureOut]
    handoff_by_reason: dict[str, int]
    trend: list[dict[str, Any]]
    by_hour: list[dict[str, Any]]
    csat_by_queue: list[dict[str, Any]]
    csat_by_article: list[dict[str, Any]]
    agents: list[dict[str, Any]]


class EvalRunOut(BaseModel):
    id: str
    at: str
    question_set: str
    cases: int
    metrics: dict[str, float | None]
    regressions: list[str]
    report_dir: str


class EvalRunsOut(BaseModel):
    runs: list[EvalRunOut]


def _share(key: str, label: str, rate: Rate, definition: str, **ref: Any) -> FigureOut:
    return FigureOut(
        key=key, label=label, definition=definition, value=rate.rate, unit="share",
        count=rate.count, total=rate.total, **ref,
    )  # fmt: skip


def headline(board: Dashboard) -> list[FigureOut]:
    ref = REFERENCES
    return [
        _share(
            "self_service", "Self-service resolution", board.self_service,
            "Answered, not handed off, no thumbs-down, and the customer did not come back "
            "within 24 h.",
            reference=ref["self_service_goal"], reference_label="goal 95 % within 15 minutes",
        ),
        _share(
            "handoff", "Hand-off rate", board.handoff, "Conversations that opened a case.",
            reference=ref["handoff_rate"], reference_label="industry escalation 47 %",
        ),
        _share(
            "first_contact_resolution", "First-contact resolution",
            board.first_contact_resolution,
            "Self-service, or one case resolved with no reopening and no return within 24 h.",
            reference=ref["first_contact_resolution"], reference_label="industry 54 %",
        ),
        _share(
            "complete_at_handoff", "Case complete at hand-off", board.complete_at_handoff,
            "Cases whose summary lacked no intake field when they opened.",
            reference=ref["complete_at_handoff"],
            reference_label="industry 47 %, target above 80 %",
        ),
        _share(
            "reopen", "Reopen rate", board.reopen,
            "Resolved cases whose conversation later needed another case.",
        ),
        _share(
            "sla_breaches", "SLA breaches", board.sla_breaches,
            "Cases whose first human reply came after the SLA was due (or not yet, past due).",
        ),
        *(
            FigureOut(
                key=f"{key}_{p}", label=f"{label} ({p})",
                definition=definition + (HOURS_NOTE if support else "."),
                value=getattr(support or seconds, p), unit="seconds", count=seconds.n,
                wall_clock=getattr(seconds, p) if support else None,
            )
            for key, label, seconds, support, definition in (
                ("first_response", "First human response", board.first_response_seconds,
                 board.first_response_support_seconds,
                 "From the case opening to the first agent message, nearest rank"),
                ("resolution", "Time to resolution", board.resolution_seconds,
                 board.resolution_support_seconds,
                 "From the case opening to its resolution, nearest rank"),
            )
            for p in ("p50", "p90")
        ),
        FigureOut(
            key="backlog", label="Backlog now", value=board.backlog, unit="count",
            definition="Unresolved cases, whatever the range.",
        ),
    ]  # fmt: skip


def dashboard_out(board: Dashboard) -> DashboardOut:
    last = (board.until - timedelta(days=1)).date()
    return DashboardOut(
        since=board.since.date(),
        until=last,
        conversations=board.conversations,
        headline=headline(board),
        handoff_by_reason=board.handoff_by_reason,
        trend=[
            {**asdict(p), "self_service_rate": p.self_served / p.conversations} for p in board.trend
        ],
        by_hour=[asdict(c) for c in board.by_hour],
        csat_by_queue=[asdict(s) for s in board.csat_by_queue],
        csat_by_article=[asdict(s) for s in board.csat_by_article],
        agents=[asdict(a) for a in board.agents],
    )


def table_csv(out: DashboardOut, table: Table) -> str:
    rows: list[dict[str, Any]]
    if table == "headline":
        fields = ("key", "label", "value", "unit", "count", "total", "reference", "definition")
        rows = [{k: f.model_dump()[k] for k in fields} for f in out.headline]
    elif table == "reasons":
        rows = [{"reason": r, "cases": n} for r, n in out.handoff_by_reason.items()]
    else:
        rows = getattr(out, table)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()
