"""The dashboard's SQL figures equal a plain-Python computation of the same definitions.

The history is 10,000 generated conversations (benchmarks/history.py); the reference reads
it back through the store's ordinary API and applies each definition of
`assistant/store/dashboard.py` row by row, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from assistant.handoff.wait import SupportHours
from assistant.store.dashboard import Percentiles, Rate
from assistant.store.protocol import Case, Conversation, Feedback, StoredMessage
from assistant.store.sql import SqlCaseStore
from benchmarks.history import generate
from tests.conftest import Clock, postgres_schema

END = datetime(2026, 11, 30, 12, tzinfo=UTC)
SINCE, UNTIL = END - timedelta(days=30), END - timedelta(days=1)
DAY = timedelta(hours=24)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlCaseStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'store.sqlite3'}"
        urls: Iterator[str] = iter([url])
    else:
        urls = postgres_schema("dashboard")
    url = next(urls)
    opened = SqlCaseStore.open(url)
    store = SqlCaseStore(opened.engine, now=Clock(END))
    generate(store.engine, 10_000, END, seed=11)
    yield store
    store.close()
    next(urls, None)


class Reference:
    """The history as plain Python objects, and each definition computed over them."""

    def __init__(self, store: SqlCaseStore) -> None:
        self.conversations: list[Conversation] = _all(store.list_conversations)
        self.cases: list[Case] = _all(store.list_all_cases)
        self.feedback: list[Feedback] = _all(store.list_feedback)
        self.threads: dict[str, list[StoredMessage]] = defaultdict(list)
        ids = [c.id for c in self.conversations]
        for start in range(0, len(ids), 500):
            for m in store.messages_for(ids[start : start + 500]):
                self.threads[m.conversation_id].append(m)
        self.cases_of: dict[str, list[Case]] = defaultdict(list)
        for case in self.cases:
            self.cases_of[case.conversation_id].append(case)

    def engaged(self) -> list[Conversation]:
        return [
            c
            for c in self.conversations
            if SINCE <= c.created_at < UNTIL
            and any(m.speaker == "customer" for m in self.threads[c.id])
        ]

    def returned(self, c: Conversation) -> bool:
        who = c.customer.id
        return bool(who) and any(
            o.customer.id == who
            and o.id != c.id
            and c.created_at < o.created_at <= c.created_at + DAY
            for o in self.conversations
        )

    def self_served(self, c: Conversation) -> bool:
        said = [m for m in self.threads[c.id] if m.speaker == "assistant"]
        return (
            not self.cases_of[c.id]
            and bool(said)
            and max(said, key=lambda m: m.id).kind == "answer"
            and not any(f.helpful is False for f in self.feedback if f.conversation_id == c.id)
            and not self.returned(c)
        )

    def first_contact(self, c: Conversation) -> bool:
        own = [k for k in self.cases_of[c.id] if k.merged_into is None]
        return self.self_served(c) or (
            len(own) == 1 and own[0].status == "resolved" and not self.returned(c)
        )

    def cases_in_range(self) -> list[Case]:
        return [k for k in self.cases if SINCE <= k.created_at < UNTIL and k.merged_into is None]

    def first_reply(self, k: Case) -> datetime | None:
        replies = [
            m.created_at
            for m in self.threads[k.conversation_id]
            if m.speaker == "agent" and m.created_at >= k.created_at
        ]
        return min(replies, default=None)

    def breached(self, k: Case) -> bool:
        if k.sla_due_at is None:
            return False
        reply = self.first_reply(k)
        return reply > k.sla_due_at if reply else k.sla_due_at < END


T = TypeVar("T")


def _all(page_of: Callable[..., list[T]]) -> list[T]:
    rows: list[T] = []
    offset = 0
    while page := page_of(limit=10_000, offset=offset):
        rows += page
        offset += len(page)
    return rows


def nearest_rank(values: list[float]) -> Percentiles:
    ordered = sorted(values)

    def at(p: float) -> float | None:
        return ordered[math.ceil(p * len(ordered)) - 1] if ordered else None

    return Percentiles(len(ordered), at(0.5), at(0.9))


def same(got: Percentiles, expected: Percentiles) -> bool:
    """Equal, the seconds to a millisecond (the databases compute them from stored times)."""
    return got.n == expected.n and all(
        (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-3)
        for a, b in ((got.p50, expected.p50), (got.p90, expected.p90))
    )


@pytest.fixture(scope="module")
def reference(store: SqlCaseStore) -> Reference:
    return Reference(store)


def test_the_history_is_large_and_holds_every_situation(reference: Reference) -> None:
    assert len(reference.conversations) >= 10_000
    statuses = Counter(k.status for k in reference.cases)
    assert set(statuses) == {"open", "claimed", "waiting_on_customer", "resolved"}
    assert any(k.merged_into for k in reference.cases)
    assert any(reference.returned(c) for c in reference.engaged()[:2000])


def test_conversation_figures_equal_the_reference(
    store: SqlCaseStore, reference: Reference
) -> None:
    board = store.dashboard(SINCE, UNTIL)
    engaged = reference.engaged()
    assert board.conversations == len(engaged) > 3000
    assert board.self_service == Rate(sum(map(reference.self_served, engaged)), len(engaged))
    assert board.handoff == Rate(sum(bool(reference.cases_of[c.id]) for c in engaged), len(engaged))
    assert board.first_contact_resolution == Rate(
        sum(map(reference.first_contact, engaged)), len(engaged)
    )
    days = Counter(c.created_at.date().isoformat() for c in engaged)
    assert {p.day: p.conversations for p in board.trend} == days
    assert sum(p.self_served for p in board.trend) == board.self_service.count


def test_case_figures_equal_the_reference(store: SqlCaseStore, reference: Reference) -> None:
    board = store.dashboard(SINCE, UNTIL)
    cases = reference.cases_in_range()
    replies = [(k, reference.first_reply(k)) for k in cases]
    assert same(
        board.first_response_seconds,
        nearest_rank([(r - k.created_at).total_seconds() for k, r in replies if r]),
    )
    resolved = [k for k in cases if k.status == "resolved"]
    assert same(
        board.resolution_seconds,
        nearest_rank(
            [(k.resolved_at - k.created_at).total_seconds() for k in resolved if k.resolved_at]
        ),
    )
    reopened = [
        k
        for k in resolved
        if any(
            o.id != k.id and k.resolved_at and o.created_at > k.resolved_at
            for o in reference.cases_of[k.conversation_id]
        )
    ]
    assert board.reopen == Rate(len(reopened), len(resolved))
    assert board.complete_at_handoff == Rate(
        sum(not k.summary.get("missing") for k in cases), len(cases)
    )
    with_sla = [k for k in cases if k.sla_due_at]
    assert board.sla_breaches == Rate(sum(map(reference.breached, with_sla)), len(with_sla))
    cells = Counter(((k.created_at.isoweekday() % 7), k.created_at.hour) for k in cases)
    assert {(c.weekday, c.hour): c.cases for c in board.by_hour} == cells
    reasons = Counter(r for k in cases for r in k.summary.get("handoff_reasons", []))
    assert board.handoff_by_reason == dict(reasons)
    assert board.backlog == sum(
        k.status != "resolved" and k.merged_into is None for k in reference.cases
    )


def test_response_times_within_support_hours_equal_the_reference(
    store: SqlCaseStore, reference: Reference
) -> None:
    hours = SupportHours.parse("Mon-Fri 08:30-18:00", "America/New_York")
    open_hours = hours.open_between(SINCE, END)
    board = store.dashboard(SINCE, UNTIL, open_hours)

    def support_seconds(start: datetime, end: datetime) -> float:
        return sum(max(0.0, (min(end, e) - max(start, s)).total_seconds()) for s, e in open_hours)

    cases = reference.cases_in_range()
    replies = [(k, reference.first_reply(k)) for k in cases]
    first = nearest_rank([support_seconds(k.created_at, r) for k, r in replies if r])
    assert board.first_response_support_seconds is not None
    assert same(board.first_response_support_seconds, first)
    resolved = [k for k in cases if k.resolved_at]
    took = nearest_rank([support_seconds(k.created_at, k.resolved_at) for k in resolved])  # type: ignore[arg-type]
    assert board.resolution_support_seconds is not None
    assert same(board.resolution_support_seconds, took)
    # Waits that span nights and weekends count less support time than clock time.
    assert first.p90 is not None and board.first_response_seconds.p90 is not None
    assert first.p90 < board.first_response_seconds.p90
    assert board.first_response_seconds == store.dashboard(SINCE, UNTIL).first_response_seconds
    years = hours.open_between(SINCE - timedelta(days=1000), END)  # hundreds of intervals
    assert len(years) > 700
    longer = store.dashboard(SINCE, UNTIL, years)
    assert longer.first_response_support_seconds == board.first_response_support_seconds
    closed = store.dashboard(SINCE, UNTIL, []).first_response_support_seconds
    assert closed == Percentiles(first.n, 0.0, 0.0)  # never open: no support time passed


def test_satisfaction_and_workload_equal_the_reference(
    store: SqlCaseStore, reference: Reference
) -> None:
    board = store.dashboard(SINCE, UNTIL)
    given = [f for f in reference.feedback if SINCE <= f.created_at < UNTIL]

    def queue(f: Feedback) -> str:
        cases = reference.cases_of[f.conversation_id]
        return max(cases, key=lambda k: k.id).queue if cases else "self-service"

    by_queue: dict[str, list[Feedback]] = defaultdict(list)
    for f in given:
        by_queue[queue(f)].append(f)
    for row in board.csat_by_queue:
        scores = [f.csat for f in by_queue[row.name] if f.csat is not None]
        assert row.responses == len(scores)
        assert row.mean_csat == pytest.approx(statistics.fmean(scores) if scores else None)
        assert row.unhelpful == sum(f.helpful is False for f in by_queue[row.name])
    assert {r.name for r in board.csat_by_queue} == set(by_queue)

    cited: dict[str, set[str]] = defaultdict(set)  # document → conversations citing it
    for cid, thread in reference.threads.items():
        for m in thread:
            if m.speaker == "assistant":
                for c in m.citations:
                    cited[c.document_id].add(cid)
    for row in board.csat_by_article:
        scores = [
            f.csat for f in given if f.conversation_id in cited[row.name] and f.csat is not None
        ]
        assert row.responses == len(scores)
        assert row.mean_csat == pytest.approx(statistics.fmean(scores))

    claims = Counter(
        k.claimed_by
        for k in reference.cases
        if k.claimed_by and k.claimed_at and SINCE <= k.claimed_at < UNTIL
    )
    replies = Counter(
        m.author
        for t in reference.threads.values()
        for m in t
        if m.speaker == "agent" and SINCE <= m.created_at < UNTIL
    )
    assert {a.agent: (a.claimed, a.replies) for a in board.agents} == {
        agent: (claims[agent], replies[agent]) for agent in set(claims) | set(replies)
    }


def test_an_empty_range_has_no_rates_rather_than_zero(store: SqlCaseStore) -> None:
    board = store.dashboard(END + DAY, END + 2 * DAY)
    assert board.conversations == 0 and board.self_service.rate is None
    assert board.first_response_seconds == Percentiles(0, None, None)
    assert board.trend == [] and board.by_hour == []


def test_article_use_equals_the_reference(store: SqlCaseStore, reference: Reference) -> None:
    cited: dict[str, list[StoredMessage]] = defaultdict(list)
    for thread in reference.threads.values():
        for m in thread:
            if m.speaker == "assistant" and SINCE <= m.created_at < UNTIL:
                for document in {c.document_id for c in m.citations}:
                    cited[document].append(m)
    unhelpful = {f.conversation_id for f in reference.feedback if f.helpful is False}
    used = {u.document_id: u for u in store.article_use(SINCE, UNTIL)}
    assert set(used) == set(cited)
    for document, messages in cited.items():
        conversations = {m.conversation_id for m in messages}
        ids = {m.id for m in messages}
        thumbs = [f.helpful for f in reference.feedback if f.message_id in ids]
        failed = {c for c in conversations if reference.cases_of[c] or c in unhelpful}
        assert used[document].citations == len(messages)
        assert used[document].conversations == len(conversations)
        assert (used[document].helpful, used[document].unhelpful) == (
            thumbs.count(True),
            thumbs.count(False),
        )
        assert used[document].failed == len(failed)
    ranked = list(used.values())
    assert ranked == sorted(ranked, key=lambda u: (-u.failed, -u.citations, u.document_id))
