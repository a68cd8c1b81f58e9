"""The figures that run a support team, over a date range, computed by the database.

Every figure is one SQL aggregate over the store's tables (SQLite or PostgreSQL), so the
dashboard costs the same whether the history holds a hundred conversations or a million rows
of messages: no row is loaded into Python. The definitions, strictly:

- **conversations**: created in [since, until) with at least one customer message.
- **self-service resolution**: such a conversation whose last assistant message is an answer
  (not a clarifying or intake question left hanging), with no hand-off case, no thumbs-down,
  and no return: the same (identified) customer starts no other conversation within 24 h.
- **hand-off rate**: conversations with a case; **by reason**: cases created in the range
  per hand-off reason of their summary (a case may have several).
- **first-contact resolution**: self-service, or exactly one case (merged duplicates aside),
  resolved, and no return.
- **first human response** / **time to resolution**: seconds from a case's creation to the
  first agent message / to its resolution, p50 and p90 (nearest rank), for cases created in
  the range; merged duplicates are not cases of their own. Counted twice: on the wall clock
  (what the customer lived) and within support hours (what the team controls: a case opened
  on Friday evening and answered Monday at opening waited no support time).
- **reopen rate**: resolved cases whose conversation later needed another case.
- **CSAT** by queue (of the conversation's latest case; "self-service" without one) and by
  cited article (conversations whose answers cited it), for feedback given in the range.
- **case completeness at hand-off**: cases whose summary lacks no intake field.
- **SLA breaches**: cases whose first human response came after the SLA was due, or not yet
  while it is past due; by weekday and hour of arrival (UTC) beside the arrivals.
- **backlog**: unresolved cases now; **agent workload**: claims, resolutions and replies.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, text

from assistant.store.models import UtcDateTime

RETURN_WINDOW_SECONDS = 24 * 3600
# Published reference points shown beside ours (industry surveys; see the admin console).
REFERENCES = {
    "first_contact_resolution": 0.54,
    "handoff_rate": 0.47,
    "complete_at_handoff": 0.47,
    "complete_at_handoff_target": 0.80,
    "self_service_goal": 0.95,
}


@dataclass(frozen=True)
class Rate:
    count: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.count / self.total if self.total else None


@dataclass(frozen=True)
class Percentiles:
    n: int
    p50: float | None
    p90: float | None


@dataclass(frozen=True)
class DayPoint:
    day: str  # YYYY-MM-DD, UTC
    conversations: int
    self_served: int
    handed_off: int


@dataclass(frozen=True)
class Satisfaction:
    name: str  # a queue, or a cited document's id
    mean_csat: float | None
    responses: int  # CSAT scores given
    helpful: int
    unhelpful: int


@dataclass(frozen=True)
class HourCell:
    weekday: int  # 0 = Sunday … 6 = Saturday
    hour: int
    cases: int
    breached: int


@dataclass(frozen=True)
class AgentLoad:
    agent: str
    claimed: int
    resolved: int
    replies: int


@dataclass(frozen=True)
class Dashboard:
    since: datetime
    until: datetime
    self_service: Rate
    handoff: Rate
    handoff_by_reason: dict[str, int]
    first_contact_resolution: Rate
    first_response_seconds: Percentiles
    resolution_seconds: Percentiles
    reopen: Rate
    complete_at_handoff: Rate
    sla_breaches: Rate
    backlog: int
    csat_by_queue: list[Satisfaction]
    csat_by_article: list[Satisfaction]
    by_hour: list[HourCell]
    agents: list[AgentLoad]
    trend: list[DayPoint]
    # Within support hours; None when the dashboard was asked without them.
    first_response_support_seconds: Percentiles | None = None
    resolution_support_seconds: Percentiles | None = None

    @property
    def conversations(self) -> int:
        return self.self_service.total


@dataclass(frozen=True)
class _Dialect:
    """The few expressions SQLite and PostgreSQL spell differently."""

    seconds: str  # {a} → {b}
    weekday: str
    hour: str
    day: str
    customer: str  # the customer id of conversation row {c}
    reasons: str  # a table of one `value` column: the hand-off reasons of case row k
    missing: str  # how many intake fields case row k's summary lacks
    citations: str  # a table `j` of the citations of message row m
    cited: str  # the document id of citation j
    materialized: str  # computes a CTE once, however often it is read
    joined_once: str  # computes a CTE once before a join would re-run its subqueries per row
    latest: str  # the later of {a} and {b}
    earliest: str
    stamp: str  # a bound time {p} as a time value (PostgreSQL types a VALUES list by it)
    setup: tuple[str, ...] = ()  # per dashboard transaction


SQLITE = _Dialect(
    seconds="((julianday({b}) - julianday({a})) * 86400.0)",
    weekday="CAST(strftime('%w', {x}) AS INTEGER)",
    hour="CAST(strftime('%H', {x}) AS INTEGER)",
    day="date({x})",
    customer="json_extract({c}.customer, '$.id')",
    reasons="json_each(k.summary, '$.handoff_reasons')",
    missing="COALESCE(json_array_length(k.summary, '$.missing'), 0)",
    citations="json_each(m.citations) AS j",
    cited="json_extract(j.value, '$.document_id')",
    materialized="",  # SQLite computes a CTE read twice once already
    joined_once="MATERIALIZED" if sqlite3.sqlite_version_info >= (3, 35) else "",
    latest="max({a}, {b})",
    earliest="min({a}, {b})",
    stamp="{p}",
)
POSTGRES = _Dialect(
    seconds="EXTRACT(EPOCH FROM ({b} - {a}))::float",
    weekday="EXTRACT(DOW FROM {x} AT TIME ZONE 'UTC')::int",
    hour="EXTRACT(HOUR FROM {x} AT TIME ZONE 'UTC')::int",
    day="to_char({x} AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    customer="({c}.customer ->> 'id')",
    reasons="jsonb_array_elements_text(COALESCE(k.summary -> 'handoff_reasons', '[]'::jsonb)) "
    "AS r(value)",
    missing="jsonb_array_length(COALESCE(k.summary -> 'missing', '[]'::jsonb))",
    citations="jsonb_array_elements(m.citations) AS j",
    cited="(j ->> 'document_id')",
    materialized="MATERIALIZED",
    joined_once="MATERIALIZED",
    latest="GREATEST({a}, {b})",
    earliest="LEAST({a}, {b})",
    stamp="CAST({p} AS timestamptz)",
    # Compiling these plans (estimated costly for their correlated subqueries) takes longer
    # than running them: ~70 ms of each call on 10,000 conversations.
    setup=("SET LOCAL jit = off",),
)


def flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


class DashboardQueries:
    """The dashboard's SQL on one engine; `compute` runs every figure for one range."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.d = POSTGRES if engine.dialect.name == "postgresql" else SQLITE
        self._open: int | None = None  # open intervals bound as :s0, :e0, …; None: no hours

    def compute(
        self,
        since: datetime,
        until: datetime,
        now: datetime,
        open_hours: Sequence[tuple[datetime, datetime]] | None = None,
    ) -> Dashboard:
        """`open_hours`: the support team's open intervals from `since` to `now`, for the
        support-hours times (left out without them)."""
        with self.engine.connect() as connection, connection.begin():
            for statement in self.d.setup:
                connection.execute(text(statement))
            self._c = connection
            self._times = {"since": since, "until": until, "now": now}
            for i, (start, end) in enumerate(open_hours or ()):
                self._times |= {f"s{i}": start, f"e{i}": end}
            self._open = len(open_hours or ()) if open_hours is not None else None
            first_response, first_response_support = self._percentiles("first_reply")
            resolution, resolution_support = self._percentiles("resolved_at")
            trend, self_service, handoff, fcr = self._conversations()
            cases, by_hour = self._cases()
            return Dashboard(
                since=since,
                until=until,
                self_service=self_service,
                handoff=handoff,
                handoff_by_reason=self._reasons(),
                first_contact_resolution=fcr,
                first_response_seconds=first_response,
                resolution_seconds=resolution,
                first_response_support_seconds=first_response_support,
                resolution_support_seconds=resolution_support,
                reopen=cases["reopen"],
                complete_at_handoff=cases["complete"],
                sla_breaches=cases["breached"],
                backlog=self._scalar(
                    "SELECT count(*) FROM cases WHERE status <> 'resolved' AND merged_into IS NULL"
                ),
                csat_by_queue=self._csat_by_queue(),
                csat_by_article=self._csat_by_article(),
                by_hour=by_hour,
                agents=self._agents(),
                trend=trend,
            )

    # -- running ---------------------------------------------------------------------------

    def _rows(self, sql: str) -> list[Any]:
        names = sorted(set(re.findall(r":(\w+)", sql)) & self._times.keys())
        statement = text(sql).bindparams(*(bindparam(n, type_=UtcDateTime()) for n in names))
        return list(self._c.execute(statement, {n: self._times[n] for n in names}))

    def _scalar(self, sql: str) -> int:
        return int(self._rows(sql)[0][0] or 0)

    # -- conversations ---------------------------------------------------------------------

    def _conversations(self) -> tuple[list[DayPoint], Rate, Rate, Rate]:
        d = self.d
        customer = d.customer.format(c="c")
        returned = flag(
            "s.customer_id IS NOT NULL AND s.customer_id <> '' AND s.next_at IS NOT NULL AND "
            f"{d.seconds.format(a='s.created_at', b='s.next_at')} <= {RETURN_WINDOW_SECONDS}"
        )
        self_served = flag(
            "n_all = 0 AND last_kind = 'answer' AND thumbs_down = 0 AND returned = 0"
        )
        first_contact = flag(
            f"({self_served}) = 1 OR (n_cases = 1 AND n_resolved = 1 AND returned = 0)"
        )
        sql = f"""
        WITH spans AS (
            SELECT c.id, c.created_at, {customer} AS customer_id,
                   LEAD(c.created_at) OVER (
                       PARTITION BY {customer} ORDER BY c.created_at, c.id
                   ) AS next_at
            FROM conversations c
            WHERE c.created_at >= :since
        ),
        per_case AS (
            SELECT conversation_id, count(*) AS n_all,
                   sum({flag("merged_into IS NULL")}) AS n_cases,
                   sum({flag("merged_into IS NULL AND status = 'resolved'")}) AS n_resolved
            FROM cases GROUP BY conversation_id
        ),
        unhelpful AS (SELECT DISTINCT conversation_id FROM feedback WHERE helpful = false),
        conv AS {d.materialized} (
            SELECT {d.day.format(x="s.created_at")} AS day, {returned} AS returned,
                   COALESCE(pc.n_all, 0) AS n_all, COALESCE(pc.n_cases, 0) AS n_cases,
                   COALESCE(pc.n_resolved, 0) AS n_resolved,
                   {flag("u.conversation_id IS NOT NULL")} AS thumbs_down,
                   (SELECT m.kind FROM messages m WHERE m.conversation_id = s.id
                        AND m.speaker = 'assistant' ORDER BY m.id DESC LIMIT 1) AS last_kind
            FROM spans s
            LEFT JOIN per_case pc ON pc.conversation_id = s.id
            LEFT JOIN unhelpful u ON u.conversation_id = s.id
            WHERE s.created_at < :until AND EXISTS (
                SELECT 1 FROM messages m WHERE m.conversation_id = s.id AND m.speaker = 'customer'
            )
        )
        SELECT day, count(*), sum({self_served}), sum({flag("n_all > 0")}), sum({first_contact})
        FROM conv GROUP BY day ORDER BY day
        """
        rows = self._rows(sql)
        trend = [DayPoint(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]
        total = sum(int(r[1]) for r in rows)
        return (
            trend,
            Rate(sum(int(r[2]) for r in rows), total),
            Rate(sum(int(r[3]) for r in rows), total),
            Rate(sum(int(r[4]) for r in rows), total),
        )

    # -- cases -----------------------------------------------------------------------------

    _IN_RANGE = "k.created_at >= :since AND k.created_at < :until AND k.merged_into IS NULL"
    _CASES = f"SELECT k.* FROM cases k WHERE {_IN_RANGE}"
    # The same cases with their first agent reply (a correlated lookup: only where needed).
    _CASE_ROWS = f"""
        SELECT k.*, (
            SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = k.conversation_id
                AND m.speaker = 'agent' AND m.created_at >= k.created_at
        ) AS first_reply
        FROM cases k WHERE {_IN_RANGE}
    """

    def _breached(self) -> str:
        return (
            "k.sla_due_at IS NOT NULL AND ((k.first_reply IS NOT NULL AND k.first_reply > "
            "k.sla_due_at) OR (k.first_reply IS NULL AND k.sla_due_at < :now))"
        )

    def _cases(self) -> tuple[dict[str, Rate], list[HourCell]]:
        """One pass over the cases: the rates, and the arrivals and breaches per weekday and
        hour (the rates are the sums of those cells)."""
        d = self.d
        reopened = (
            "k.status = 'resolved' AND EXISTS (SELECT 1 FROM cases later WHERE "
            "later.conversation_id = k.conversation_id AND later.id <> k.id "
            "AND later.created_at > k.resolved_at)"
        )
        sql = f"""
        WITH k AS ({self._CASE_ROWS})
        SELECT {d.weekday.format(x="k.created_at")}, {d.hour.format(x="k.created_at")},
               count(*), sum({flag(self._breached())}), sum({flag("k.status = 'resolved'")}),
               sum({flag(reopened)}), sum({flag(d.missing + " = 0")}),
               sum({flag("k.sla_due_at IS NOT NULL")})
        FROM k GROUP BY 1, 2 ORDER BY 1, 2
        """
        rows = [[int(v or 0) for v in row] for row in self._rows(sql)]
        n, breached, resolved, reopen, complete, with_sla = (
            sum(row[i] for row in rows) for i in range(2, 8)
        )
        rates = {
            "reopen": Rate(reopen, resolved),
            "complete": Rate(complete, n),
            "breached": Rate(breached, with_sla),
        }
        return rates, [HourCell(*row[:4]) for row in rows]

    def _percentiles(self, end: str) -> tuple[Percentiles, Percentiles | None]:
        """p50 and p90 (nearest rank: the smallest value with at least p of them at or below
        it) of the seconds from a case's creation to `end`, on the wall clock (x) and, given
        the open hours, within them (y: the overlap of the wait with each open interval), both
        ranked in one pass."""
        d = self.d
        took = d.seconds.format(a="k.created_at", b=f"k.{end}")
        cases = self._CASE_ROWS if end == "first_reply" else self._CASES
        stamp = d.stamp.format
        # A VALUES list: SQLite caps a compound SELECT at 500 terms, not VALUES rows.
        rows = [f"({stamp(p=f':s{i}')}, {stamp(p=f':e{i}')})" for i in range(self._open or 0)]
        overlap = d.seconds.format(
            a=d.latest.format(a="k.created_at", b="iv.s"),
            b=d.earliest.format(a=f"k.{end}", b="iv.e"),
        )
        none = f"SELECT {stamp(p='NULL')}, {stamp(p='NULL')} WHERE 1 = 0"  # closed all along
        # No interval overlaps: a wait of 0 (PostgreSQL's LEAST and GREATEST skip NULLs).
        sql = f"""
        WITH k AS {d.joined_once} ({cases}),
        iv(s, e) AS ({f"VALUES {', '.join(rows)}" if rows else none}),
        v AS (
            SELECT max({took}) AS x,
                   sum(CASE WHEN iv.s IS NULL THEN 0 ELSE {overlap} END) AS y
            FROM k LEFT JOIN iv ON iv.e > k.created_at AND iv.s < k.{end}
            WHERE k.{end} IS NOT NULL GROUP BY k.id
        ),
        r AS (
            SELECT x, y, row_number() OVER (ORDER BY x) AS rx,
                   row_number() OVER (ORDER BY y) AS ry, count(*) OVER () AS n
            FROM v
        )
        SELECT count(*), min(CASE WHEN rx >= 0.5 * n THEN x END),
               min(CASE WHEN rx >= 0.9 * n THEN x END), min(CASE WHEN ry >= 0.5 * n THEN y END),
               min(CASE WHEN ry >= 0.9 * n THEN y END)
        FROM r
        """
        wall, support = _percentiles(self._rows(sql)[0])
        return wall, support if self._open is not None else None

    def _reasons(self) -> dict[str, int]:
        sql = f"""
        SELECT value, count(*) FROM cases k, {self.d.reasons}
        WHERE {self._IN_RANGE}
        GROUP BY value ORDER BY count(*) DESC, value
        """
        return {str(r[0]): int(r[1]) for r in self._rows(sql)}

    # -- satisfaction and people -----------------------------------------------------------

    def _satisfaction(self, sql: str) -> list[Satisfaction]:
        return [
            Satisfaction(str(r[0]), _float(r[1]), int(r[2]), int(r[3] or 0), int(r[4] or 0))
            for r in self._rows(sql)
        ]

    _SCORES = (
        "avg(f.csat), count(f.csat), sum(CASE WHEN f.helpful = true THEN 1 ELSE 0 END), "
        "sum(CASE WHEN f.helpful = false THEN 1 ELSE 0 END)"
    )
    _GIVEN = "f.created_at >= :since AND f.created_at < :until"

    def _csat_by_queue(self) -> list[Satisfaction]:
        return self._satisfaction(f"""
        SELECT COALESCE((SELECT k.queue FROM cases k WHERE k.conversation_id = f.conversation_id
                         ORDER BY k.id DESC LIMIT 1), 'self-service') AS queue, {self._SCORES}
        FROM feedback f WHERE {self._GIVEN} GROUP BY 1 ORDER BY count(*) DESC, 1
        """)

    def _csat_by_article(self, limit: int = 20) -> list[Satisfaction]:
        return self._satisfaction(f"""
        WITH rated AS (SELECT DISTINCT f.conversation_id FROM feedback f WHERE {self._GIVEN}),
        cited AS (
            SELECT DISTINCT m.conversation_id, {self.d.cited} AS document_id
            FROM rated JOIN messages m ON m.conversation_id = rated.conversation_id
                AND m.speaker = 'assistant', {self.d.citations}
        )
        SELECT cited.document_id, {self._SCORES}
        FROM feedback f JOIN cited ON cited.conversation_id = f.conversation_id
        WHERE {self._GIVEN} GROUP BY cited.document_id
        ORDER BY count(*) DESC, cited.document_id LIMIT {int(limit)}
        """)

    def _agents(self) -> list[AgentLoad]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        queries = (
            "SELECT claimed_by, count(*) FROM cases WHERE claimed_by IS NOT NULL "
            "AND claimed_at >= :since AND claimed_at < :until GROUP BY claimed_by",
            "SELECT claimed_by, count(*) FROM cases WHERE claimed_by IS NOT NULL "
            "AND status = 'resolved' AND resolved_at >= :since AND resolved_at < :until "
            "GROUP BY claimed_by",
            "SELECT author, count(*) FROM messages WHERE speaker = 'agent' "
            "AND created_at >= :since AND created_at < :until GROUP BY author",
        )
        for column, sql in enumerate(queries):
            for agent, n in self._rows(sql):
                counts[str(agent)][column] = int(n)
        return [
            AgentLoad(agent, *values)
            for agent, values in sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))
        ]


def _percentiles(row: Sequence[Any]) -> tuple[Percentiles, Percentiles]:
    n = int(row[0])
    return Percentiles(n, _float(row[1]), _float(row[2])), Percentiles(
        n, _float(row[3]), _float(row[4])
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
