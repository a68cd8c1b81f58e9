"""The CaseStore contract, run against SQLite (a tmp file) and a real PostgreSQL.

PostgreSQL comes from ANSWERDESK_TEST_POSTGRES_URL; every test gets a fresh schema, dropped
afterwards. Without the variable the PostgreSQL half FAILS, naming it; set
ANSWERDESK_SKIP_POSTGRES_TESTS=1 to skip that half on purpose. Run:

    ANSWERDESK_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python -m pytest tests/contracts/test_case_store.py -q -p no:cacheprovider
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from assistant.store import (
    Case,
    Customer,
    NewCase,
    SqlCaseStore,
    database_url,
    make_case_store,
    make_engine,
    upgrade,
)
from assistant.store.engine import MIGRATIONS
from assistant.store.models import Base, modelled
from assistant.types import Citation
from tests.conftest import free_port, postgres_schema

TABLES = {"conversations", "messages", "cases", "feedback"}
T = TypeVar("T")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'answerdesk.sqlite3'}"
    else:
        yield from postgres_schema("contract")


class Clock:
    """Store time that moves one second per call, and further on request."""

    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(url: str, clock: Clock) -> Iterator[SqlCaseStore]:
    engine = make_engine(url)
    upgrade(engine)
    store = SqlCaseStore(engine, now=clock)
    yield store
    store.close()


CUSTOMER = Customer(
    id="cus_42",
    email="dana.whitfield@example.com",
    plan="pro",
    product_area="banking",
    locale="en",
    page_url="https://app.tallybook.example/banking",
)


def new_case(**overrides: Any) -> NewCase:
    values: dict[str, Any] = {
        "summary": {"subject": "Bank sync stopped", "tried": ["reconnect"]},
        "priority": 0.5,
        "category": "banking",
        "queue": "tier1",
        "reasons": ("asked for a human",),
    }
    return NewCase(**{**values, **overrides})


def handed_off(store: SqlCaseStore, text: str = "My bank stopped syncing", **case: Any) -> int:
    conversation = store.create_conversation(CUSTOMER)
    store.add_message(conversation.id, "customer", text)
    return store.open_case(conversation.id, new_case(**case)).id


def refused(code: ErrorCode, call: Callable[[], T], *fragments: str) -> str:
    with pytest.raises(AnswerdeskError) as caught:
        call()
    assert caught.value.code is code, caught.value.message
    for fragment in fragments:
        assert fragment in caught.value.message
    return caught.value.message


# Conversations


def test_a_conversation_token_is_secret_and_only_its_hash_is_stored(store: SqlCaseStore) -> None:
    new = store.create_conversation(CUSTOMER)
    assert len(new.token) >= 40 and new.token != store.create_conversation(CUSTOMER).token
    conversation = store.conversation(new.id, new.token)
    assert conversation.customer == CUSTOMER and conversation.status == "active"
    assert conversation.created_at.tzinfo is not None
    refused(ErrorCode.NOT_FOUND, lambda: store.conversation(new.id, "guessed-token"), new.id)
    refused(ErrorCode.NOT_FOUND, lambda: store.conversation("nope"), "nope")
    with store.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM conversations WHERE id = :id"), {"id": new.id})
        stored = [str(value) for value in row.one()]
    assert new.token not in " ".join(stored)
    assert hashlib.sha256(new.token.encode()).hexdigest() in stored


def test_messages_keep_their_order_citations_and_confidence(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    citation = Citation(
        1, "article:bank", "Connect your bank", "https://h/x", "Steps", "article", "…"
    )
    store.add_message(conversation, "customer", "How do I reconnect my bank?")
    answer = store.add_message(
        conversation, "assistant", "Go to Banking → Connections [1].",
        citations=[citation], confidence=0.82,
    )  # fmt: skip
    messages = store.transcript(conversation)
    assert [(m.speaker, m.text) for m in messages] == [
        ("customer", "How do I reconnect my bank?"),
        ("assistant", "Go to Banking → Connections [1]."),
    ]
    assert messages[1] == answer and answer.citations == (citation,) and answer.confidence == 0.82
    assert messages[0].created_at < messages[1].created_at


def test_reads_in_a_reading_block_share_one_transaction(store: SqlCaseStore) -> None:
    new = store.create_conversation(CUSTOMER)
    store.add_message(new.id, "customer", "How do I reconnect my bank?")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        with store.reading():
            conversation = store.conversation(new.id, new.token)
            messages = store.transcript(new.id)
            feedback = store.feedback(new.id)
            with store.reading():  # nested: still the same one
                incidents = store.active_incidents()
        assert conversation.id == new.id and len(messages) == 1 and feedback == []
        assert incidents == []
        begun = [s for s in statements if s.lstrip().upper().startswith("BEGIN")]
        assert len(begun) <= 1, statements  # SQLite issues BEGIN itself; PostgreSQL implicitly
        # The conversation each read checks is read once.
        assert sum("FROM conversations" in s for s in statements) == 1, statements
        # A write inside is its own transaction, and an error inside leaves no session behind.
        with pytest.raises(AnswerdeskError), store.reading():
            store.transcript("nope")
        assert store.transcript(new.id) == messages
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def test_writes_in_a_writing_block_land_together_or_not_at_all(store: SqlCaseStore) -> None:
    new = store.create_conversation(CUSTOMER)
    with store.writing():
        store.add_message(new.id, "customer", "My bank feed stopped.")
        case = store.open_case(new.id, new_case())
        # Reads inside see the block's writes: the hand-off reads where its case stands.
        assert [c.id for c in store.list_cases(conversation_id=new.id)] == [case.id]
        # Another turn opened the case meanwhile: that write fails alone, the others stay.
        refused(ErrorCode.CONFLICT, lambda: store.open_case(new.id, new_case()))
        store.add_message(new.id, "assistant", "I've passed this to our team.")
    assert [m.speaker for m in store.transcript(new.id)] == ["customer", "assistant"]
    assert store.case(case.id).conversation_id == new.id
    # A failure part-way leaves nothing of the block: no message without its reply.
    with pytest.raises(AnswerdeskError), store.writing():
        store.add_message(new.id, "customer", "Any news?")
        store.add_message(new.id, "assistant", "  ")
    assert [m.text for m in store.transcript(new.id)][-1] == "I've passed this to our team."


def test_bad_messages_are_refused(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    refused(ErrorCode.INVALID_INPUT, lambda: store.add_message(conversation, "customer", "  "))
    refused(
        ErrorCode.INVALID_INPUT, lambda: store.add_message(conversation, "agent", "hi"), "reply()"
    )
    refused(
        ErrorCode.INVALID_INPUT,
        lambda: store.add_message(conversation, "assistant", "x", confidence=1.5),
    )
    refused(ErrorCode.NOT_FOUND, lambda: store.add_message("missing", "customer", "hi"))
    refused(ErrorCode.NOT_FOUND, lambda: store.transcript("missing"))


def test_feedback_records_helpful_csat_and_comment(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    answer = store.add_message(conversation, "assistant", "Reconnect under Banking.")
    store.add_feedback(conversation, helpful=True, message_id=answer.id)
    store.add_feedback(conversation, csat=4, comment=" Quick and right ")
    given = store.feedback(conversation)
    assert [(f.helpful, f.csat, f.comment, f.message_id) for f in given] == [
        (True, None, "", answer.id),
        (None, 4, "Quick and right", None),
    ]
    refused(ErrorCode.INVALID_INPUT, lambda: store.add_feedback(conversation, csat=0), "1 to 5")
    refused(ErrorCode.INVALID_INPUT, lambda: store.add_feedback(conversation, csat=6), "1 to 5")
    refused(ErrorCode.INVALID_INPUT, lambda: store.add_feedback(conversation))
    other = store.create_conversation(CUSTOMER).id
    refused(
        ErrorCode.NOT_FOUND, lambda: store.add_feedback(other, helpful=False, message_id=answer.id)
    )


# The queue


def test_opening_a_case_hands_the_conversation_off(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    due = datetime(2026, 9, 1, 13, 0, tzinfo=UTC)
    case = store.open_case(
        conversation,
        new_case(priority=0.9, sla_due_at=due, tags=("Refund", "refund ", "billing")),
    )
    assert store.case(case.id) == case
    assert (case.status, case.claimed_by, case.queue, case.category) == (
        "open",
        None,
        "tier1",
        "banking",
    )
    assert case.summary == {"subject": "Bank sync stopped", "tried": ["reconnect"]}
    assert case.priority == 0.9 and case.priority_reasons == ("asked for a human",)
    assert case.sla_due_at == due and case.tags == ("billing", "refund")
    assert store.conversation(conversation).status == "handed_off"
    refused(ErrorCode.CONFLICT, lambda: store.open_case(conversation, new_case()), str(case.id))
    refused(ErrorCode.INVALID_INPUT, lambda: store.open_case(conversation, new_case(priority=7)))
    refused(ErrorCode.NOT_FOUND, lambda: store.open_case("missing", new_case()))
    refused(ErrorCode.NOT_FOUND, lambda: store.case(999_999), "999999")


def test_the_queue_sorts_by_priority_waiting_time_and_sla_and_filters(
    store: SqlCaseStore, clock: Clock
) -> None:
    at = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    oldest = handed_off(store, priority=0.4, sla_due_at=at + timedelta(hours=3))
    clock.advance(minutes=10)
    urgent = handed_off(store, priority=0.9, queue="billing")
    clock.advance(minutes=10)
    tie = handed_off(store, priority=0.4, sla_due_at=at)
    clock.advance(minutes=10)
    low = handed_off(store, priority=0.1, queue="billing", category="account")

    def ids(**query: Any) -> list[int]:
        return [case.id for case in store.list_cases(**query)]

    assert ids() == [urgent, oldest, tie, low]  # equal priority: the longer wait first
    assert ids(sort="waiting") == [oldest, urgent, tie, low]
    assert ids(sort="sla") == [tie, oldest, urgent, low]  # no SLA last
    assert ids(queue="billing") == [urgent, low] and ids(category="account") == [low]
    assert ids(limit=2) == [urgent, oldest]
    store.claim(urgent, "alice")
    assert ids(claimed_by="alice") == [urgent] and ids(status=["open"]) == [oldest, tie, low]
    now = clock.now
    assert store.case(oldest).waiting(now) > store.case(low).waiting(now) > timedelta(0)
    refused(ErrorCode.INVALID_INPUT, lambda: store.list_cases(limit=0))


def test_the_wait_figures_count_cases_ahead_and_the_latest_claim_waits(
    store: SqlCaseStore, clock: Clock
) -> None:
    first = handed_off(store, priority=0.4)
    clock.advance(minutes=5)
    urgent = handed_off(store, priority=0.9)
    clock.advance(minutes=5)
    same = handed_off(store, priority=0.4)
    later = handed_off(store, priority=0.4)
    handed_off(store, priority=0.4, queue="billing")  # another queue: not ahead
    # As urgent or more and older: the first (tie) and the urgent one; not the later one.
    assert store.cases_ahead(store.case(same)) == 2
    assert store.cases_ahead(store.case(urgent)) == 0
    assert store.cases_ahead(store.case(later)) == 3
    assert store.claim_waits("tier1") == []
    clock.advance(minutes=30)
    store.claim(first, "alice")  # waited ~40 minutes
    clock.advance(minutes=10)
    store.claim(urgent, "bob")  # waited ~45 minutes, claimed last
    waits = store.claim_waits("tier1")
    assert [round(w) for w in waits] == [45, 40]  # the latest claim first
    assert [round(w) for w in store.claim_waits("tier1", limit=1)] == [45]
    assert store.cases_ahead(store.case(same)) == 0  # both ahead are now claimed
    store.release(first, "alice")  # back in the queue, claim forgotten
    assert [round(w) for w in store.claim_waits("tier1")] == [45]
    assert store.claim_waits("billing") == []


def test_claim_and_release(store: SqlCaseStore) -> None:
    case = handed_off(store)
    claimed = store.claim(case, "alice")
    assert (claimed.status, claimed.claimed_by) == ("claimed", "alice") and claimed.claimed_at
    refused(ErrorCode.CONFLICT, lambda: store.claim(case, "bob"), "already claimed by alice")
    refused(ErrorCode.CONFLICT, lambda: store.release(case, "bob"), "claimed by alice, not bob")
    released = store.release(case, "alice")
    assert (released.status, released.claimed_by, released.claimed_at) == ("open", None, None)
    refused(ErrorCode.CONFLICT, lambda: store.release(case, "alice"), "not claimed")
    assert store.claim(case, "bob").claimed_by == "bob"
    refused(ErrorCode.NOT_FOUND, lambda: store.claim(424242, "bob"))


# Working a case


def test_an_agent_reply_joins_the_customers_conversation(store: SqlCaseStore) -> None:
    case = handed_off(store)
    conversation = store.case(case).conversation_id
    refused(ErrorCode.CONFLICT, lambda: store.reply(case, "alice", "Hi"), "claim it before")
    store.claim(case, "alice")
    refused(ErrorCode.CONFLICT, lambda: store.reply(case, "bob", "Hi"), "claimed by alice")
    reply = store.reply(case, "alice", "Please reconnect under Banking → Connections.")
    assert (reply.speaker, reply.author, reply.conversation_id) == ("agent", "alice", conversation)
    assert store.transcript(conversation)[-1] == reply
    assert store.case(case).status == "waiting_on_customer"
    store.add_message(conversation, "customer", "Done, it works again")
    assert store.case(case).status == "claimed"  # back on alice's desk
    store.reply(case, "alice", "Great!", wait_for_customer=False)
    assert store.case(case).status == "claimed"


def test_internal_notes_never_reach_the_customer(store: SqlCaseStore) -> None:
    case = handed_off(store)
    conversation = store.case(case).conversation_id
    note = store.add_note(case, "alice", "Looks like the PSD2 consent expired.")
    assert (note.speaker, note.author) == ("note", "alice")
    assert note not in store.transcript(conversation)
    assert note in store.transcript(conversation, include_notes=True)
    assert note in store.case_transcript(case)
    refused(ErrorCode.NOT_FOUND, lambda: store.add_note(987654, "alice", "x"))


def test_tags_are_added_and_removed_normalized(store: SqlCaseStore) -> None:
    case = handed_off(store, tags=("bank-sync",))
    assert store.tag(case, add=["PSD2", " consent "]).tags == ("bank-sync", "consent", "psd2")
    assert store.tag(case, remove=["Bank-Sync"]).tags == ("consent", "psd2")
    assert store.case(case).tags == ("consent", "psd2")


def test_summary_changes_are_merged_into_the_stored_summary(store: SqlCaseStore) -> None:
    case = handed_off(store)
    before = store.case(case).summary
    updated = store.update_summary(case, {"fields": {"Account": "a@b.example"}, "missing": []})
    assert updated.summary == {**before, "fields": {"Account": "a@b.example"}, "missing": []}
    assert store.case(case).summary == updated.summary
    refused(ErrorCode.NOT_FOUND, lambda: store.update_summary(10_000, {"missing": []}))


def test_a_reassessment_replaces_priority_and_reasons(store: SqlCaseStore) -> None:
    case = handed_off(store)
    updated = store.update_summary(
        case, {"sentiment": {"label": "angry"}}, priority=0.9, reasons=("customer is angry",)
    )
    assert updated.priority == 0.9 and updated.priority_reasons == ("customer is angry",)
    assert store.case(case).priority == 0.9
    assert store.list_cases()[0].summary["sentiment"] == {"label": "angry"}


def test_resolve_and_reopen(store: SqlCaseStore) -> None:
    case = handed_off(store)
    conversation = store.case(case).conversation_id
    refused(ErrorCode.CONFLICT, lambda: store.resolve(case, "alice", "Fixed"), "claim it")
    store.claim(case, "alice")
    refused(ErrorCode.INVALID_INPUT, lambda: store.resolve(case, "alice", " "))
    resolved = store.resolve(case, "alice", "Renewed the bank consent.")
    assert (resolved.status, resolved.resolution) == ("resolved", "Renewed the bank consent.")
    assert resolved.resolved_at and store.conversation(conversation).status == "resolved"
    reopened = store.reopen(case, "bob", "customer says it broke again")
    assert (reopened.status, reopened.claimed_by, reopened.resolution) == ("open", None, None)
    assert store.conversation(conversation).status == "handed_off"
    assert "broke again" in store.case_transcript(case)[-1].text
    refused(ErrorCode.CONFLICT, lambda: store.reopen(case, "bob"), "nothing to reopen")


def test_merging_a_duplicate_closes_it_and_keeps_its_messages(store: SqlCaseStore) -> None:
    duplicate = handed_off(store, "Bank sync broken (sent twice)", tags=("dup",))
    survivor = handed_off(store, "My bank stopped syncing", tags=("bank-sync",))
    merged = store.merge(duplicate, survivor, "alice")
    assert merged.id == survivor and merged.tags == ("bank-sync", "dup")
    closed = store.case(duplicate)
    assert (closed.status, closed.merged_into) == ("resolved", survivor)
    assert closed.resolution and str(survivor) in closed.resolution
    texts = [m.text for m in store.case_transcript(survivor)]
    assert "Bank sync broken (sent twice)" in texts and "My bank stopped syncing" in texts
    assert store.transcript(closed.conversation_id)[0].text == "Bank sync broken (sent twice)"
    refused(ErrorCode.INVALID_INPUT, lambda: store.merge(survivor, survivor, "alice"))
    refused(ErrorCode.NOT_FOUND, lambda: store.merge(survivor, 555_555, "alice"))


Action = Callable[[SqlCaseStore, dict[str, int]], Any]
WRONG_MOVES: dict[str, tuple[Action, str]] = {
    "resolve-resolved": (lambda s, c: s.resolve(c["resolved"], "alice", "x"), "already resolved"),
    "claim-resolved": (lambda s, c: s.claim(c["resolved"], "bob"), "already resolved"),
    "claim-merged": (lambda s, c: s.claim(c["merged"], "bob"), "merged into case"),
    "reopen-merged": (lambda s, c: s.reopen(c["merged"], "bob"), "merged into case"),
    "reply-merged": (lambda s, c: s.reply(c["merged"], "alice", "hi"), "merged into case"),
    "merge-into-resolved": (
        lambda s, c: s.merge(c["open"], c["resolved"], "bob"),
        "already resolved",
    ),
    "merge-others-case": (
        lambda s, c: s.merge(c["claimed"], c["open"], "bob"),
        "claimed by alice, not bob",
    ),
    "reopen-open": (lambda s, c: s.reopen(c["open"], "bob"), "nothing to reopen"),
    "release-open": (lambda s, c: s.release(c["open"], "bob"), "not claimed"),
}


@pytest.mark.parametrize("move", list(WRONG_MOVES))
def test_wrong_state_transitions_are_clear_conflicts(store: SqlCaseStore, move: str) -> None:
    action, fragment = WRONG_MOVES[move]
    cases = {name: handed_off(store) for name in ("resolved", "merged", "open", "claimed", "into")}
    store.claim(cases["resolved"], "alice")
    store.resolve(cases["resolved"], "alice", "Done.")
    store.merge(cases["merged"], cases["into"], "alice")
    store.claim(cases["claimed"], "alice")
    message = refused(ErrorCode.CONFLICT, lambda: action(store, cases), fragment)
    assert message.startswith("Case ")


# Concurrency: N API workers, each with its own engine and session


def _race(workers: int, work: Callable[[int], T]) -> list[T | AnswerdeskError]:
    """Run work(i) in `workers` threads released at the same instant."""
    start = threading.Barrier(workers)
    results: list[T | AnswerdeskError] = [AnswerdeskError(ErrorCode.CONFIGURATION, "")] * workers

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except AnswerdeskError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def workers(url: str, store: SqlCaseStore) -> Iterator[list[SqlCaseStore]]:
    """Eight stores on their own engines: eight API workers sharing one database."""
    stores = [SqlCaseStore(make_engine(url)) for _ in range(8)]
    yield stores
    for worker in stores:
        worker.close()


def _claim(workers: list[SqlCaseStore], case: int, i: int) -> Case:
    return workers[i].claim(case, f"agent-{i}")


def test_concurrent_claims_have_exactly_one_winner(
    store: SqlCaseStore, workers: list[SqlCaseStore]
) -> None:
    for case in [handed_off(store) for _ in range(3)]:
        results = _race(len(workers), partial(_claim, workers, case))
        winners = [r for r in results if not isinstance(r, AnswerdeskError)]
        losers = [r for r in results if isinstance(r, AnswerdeskError)]
        assert len(winners) == 1, results
        winner = winners[0].claimed_by
        assert store.case(case).claimed_by == winner
        assert {loser.code for loser in losers} == {ErrorCode.CONFLICT}
        assert all(f"already claimed by {winner}" in loser.message for loser in losers)


def test_concurrent_changes_lose_nothing(store: SqlCaseStore, workers: list[SqlCaseStore]) -> None:
    case = handed_off(store)
    _race(len(workers), lambda i: workers[i].tag(case, add=[f"tag-{i}"]))
    assert store.case(case).tags == tuple(sorted(f"tag-{i}" for i in range(len(workers))))
    conversation = store.create_conversation(CUSTOMER).id
    opened = _race(len(workers), lambda i: workers[i].open_case(conversation, new_case()))
    assert sum(not isinstance(r, AnswerdeskError) for r in opened) == 1, opened
    assert len(store.list_cases(conversation_id=conversation)) == 1
    assert all(r.code is ErrorCode.CONFLICT for r in opened if isinstance(r, AnswerdeskError))


def test_a_processs_writers_to_one_sqlite_file_queue_rather_than_meet_its_lock(
    tmp_path: Path,
) -> None:
    # A busy timeout far shorter than the writes: any writer that met another at SQLite's lock
    # would fail. Two stores on their own engines, as a server's API and agent side have.
    url = f"sqlite:///{tmp_path / 'answerdesk.sqlite3'}"
    engines = [make_engine(url, statement_timeout=0.001) for _ in range(2)]
    upgrade(engines[0])
    stores = [SqlCaseStore(engine) for engine in engines]
    try:
        conversations = [stores[0].create_conversation(CUSTOMER).id for _ in range(8)]

        def chat(i: int) -> None:
            for n in range(15):
                stores[i % 2].add_message(conversations[i], "customer", f"message {n}")

        results = _race(8, chat)
        assert [r for r in results if isinstance(r, AnswerdeskError)] == []
        assert all(len(stores[1].transcript(c)) == 15 for c in conversations)
    finally:
        for store in stores:
            store.close()


# Migrations and start-up


def test_migrations_create_the_schema_once_and_match_the_models(url: str) -> None:
    engine = make_engine(url)
    try:
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert TABLES | {"alembic_version"} <= set(inspect(engine).get_table_names())
        store = SqlCaseStore(engine)
        kept = store.create_conversation(CUSTOMER).id
        upgrade(engine)  # a second start-up changes nothing
        assert store.conversation(kept).customer == CUSTOMER
        with engine.connect() as connection:
            head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (head,)
            ]
            opts = {"compare_type": True, "include_object": modelled}
            context = MigrationContext.configure(connection, opts=opts)
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_workers_starting_together_migrate_once(url: str) -> None:
    opened = _race(4, lambda i: SqlCaseStore.open(url))
    stores = [s for s in opened if isinstance(s, SqlCaseStore)]
    try:
        assert len(stores) == 4, opened
        case = handed_off(stores[0])
        assert stores[3].case(case).status == "open"
    finally:
        for s in stores:
            s.close()


def test_settings_choose_the_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert database_url(settings) == f"sqlite:///{tmp_path / 'data' / 'answerdesk.sqlite3'}"
    store = make_case_store(settings)
    assert isinstance(store, SqlCaseStore)
    store.close()
    assert (tmp_path / "data" / "answerdesk.sqlite3").is_file()
    elsewhere = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert database_url(Settings(data_dir=tmp_path, database_url=elsewhere)) == elsewhere


@pytest.mark.parametrize(
    "bad", ["mysql+pymysql://u@h/db", "not a url", "sqlite://", "sqlite:///:memory:"]
)
def test_unusable_urls_are_configuration_errors(bad: str) -> None:
    refused(ErrorCode.CONFIGURATION, lambda: SqlCaseStore.open(bad), "sqlite")


def test_a_down_database_fails_fast_with_a_clear_error() -> None:
    closed = f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{free_port()}/answerdesk"
    started = time.monotonic()
    message = refused(
        ErrorCode.STORE_UNAVAILABLE, lambda: SqlCaseStore.open(closed), "ANSWERDESK_DATABASE_URL"
    )
    assert time.monotonic() - started < 5
    assert "127.0.0.1" in message and "hunter2" not in message
    running = SqlCaseStore(make_engine(closed))  # a store whose database went away later
    refused(ErrorCode.STORE_UNAVAILABLE, lambda: running.case(1), "unavailable")
    running.close()


def test_a_silent_database_times_out_instead_of_hanging() -> None:
    """A server that accepts the connection and never answers (a hung host, a firewall)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        refused(
            ErrorCode.STORE_UNAVAILABLE,
            lambda: SqlCaseStore.open(
                f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", connect_timeout=2
            ),
            "timeout",
        )
        assert time.monotonic() - started < 8


def test_an_unwritable_sqlite_location_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    bad = f"sqlite:///{tmp_path / 'file' / 'answerdesk.sqlite3'}"
    refused(ErrorCode.STORE_UNAVAILABLE, lambda: SqlCaseStore.open(bad), "ANSWERDESK_DATA_DIR")


# Privacy: redacted before it is written, whoever writes it; purge and erasure

CARD, PASSWORD, IBAN = "4111 1111 1111 1111", "Hunter2-Secret!", "DE89 3704 0044 0532 0130 00"


def _database_text(store: SqlCaseStore) -> str:
    """Every stored value of the store's tables, as one text."""
    with store.engine.connect() as connection:
        return "\n".join(
            str(value)
            for table in sorted(TABLES)
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )


def test_nothing_is_stored_unredacted(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    said = store.add_message(
        conversation, "customer", f"I'm Maria Kowalska, card {CARD}, my password is {PASSWORD}"
    )
    assert said.text == "I'm [NAME], card [CARD], my password is [SECRET]"
    answer = store.add_message(conversation, "assistant", f"Mail help@tallybook.example ({CARD})")
    assert answer.text == "Mail help@tallybook.example ([CARD])"  # the desk's own address stays
    store.add_feedback(conversation, helpful=False, comment=f"refund to {IBAN}")
    case = store.open_case(
        conversation,
        new_case(summary={"issue": f"card {CARD}", "customer": {"email": CUSTOMER.email}}),
    ).id
    store.update_summary(case, {"also_reported": [f"pw: {PASSWORD}"]})
    store.claim(case, "alice")
    store.reply(case, "alice", f"Hi Maria, I removed card {CARD}")
    store.add_note(case, "alice", f"she gave password {PASSWORD}")
    store.resolve(case, "alice", f"Refunded to {IBAN}")
    store.reopen(case, "bob", f"customer sent {CARD} again")
    stored = _database_text(store)
    for raw in (CARD, PASSWORD, IBAN, "Kowalska"):
        assert raw not in stored
    assert CUSTOMER.email in stored  # the account stays
    summary = store.case(case).summary
    assert summary["issue"] == "card [CARD]" and summary["also_reported"] == ["pw: [SECRET]"]
    assert store.feedback(conversation)[0].comment == "refund to [IBAN]"
    texts = [m.text for m in store.case_transcript(case)]
    assert "Hi Maria, I removed card [CARD]" in texts  # replies keep the greeting
    assert "Reopened by bob: customer sent [CARD] again" in texts


def test_a_merge_note_keeps_the_ids_it_names(store: SqlCaseStore) -> None:
    duplicate, survivor = handed_off(store), handed_off(store)
    store.merge(duplicate, survivor, "alice")
    note = store.case_transcript(survivor)[-1].text
    assert store.case(duplicate).conversation_id in note  # a random hex id, not a [SECRET]


def _conversation(store: SqlCaseStore, customer: Customer = CUSTOMER) -> str:
    conversation = store.create_conversation(customer).id
    store.add_message(conversation, "customer", "My bank stopped syncing")
    return conversation


def test_purge_deletes_whole_conversations_inactive_since_the_cutoff(
    store: SqlCaseStore, clock: Clock
) -> None:
    quiet = _conversation(store)
    store.add_feedback(quiet, csat=2, comment="slow")
    solved = _conversation(store)
    solved_case = store.open_case(solved, new_case()).id
    store.claim(solved_case, "alice")
    store.resolve(solved_case, "alice", "Renewed the consent.")
    waiting = _conversation(store)
    store.open_case(waiting, new_case())  # never resolved: a person still owes an answer
    revived = _conversation(store)
    clock.advance(days=100)
    store.add_message(revived, "customer", "Still broken")
    recent = _conversation(store)
    cutoff = clock.now - timedelta(days=90)

    preview = store.purge(cutoff, dry_run=True)
    assert (preview.conversations, preview.messages, preview.cases, preview.feedback) == (
        2, 2, 1, 1,
    )  # fmt: skip
    assert len(store.list_conversations()) == 5
    assert store.purge(cutoff) == preview
    assert {c.id for c in store.list_conversations()} == {waiting, revived, recent}
    refused(ErrorCode.NOT_FOUND, lambda: store.transcript(quiet))
    refused(ErrorCode.NOT_FOUND, lambda: store.case(solved_case))
    assert store.purge(cutoff).conversations == 0
    refused(ErrorCode.INVALID_INPUT, lambda: store.purge(datetime(2026, 1, 1)), "timezone")


def test_a_kept_duplicate_outlives_the_purged_case_it_was_merged_into(
    store: SqlCaseStore, clock: Clock
) -> None:
    duplicate = handed_off(store, "sent twice")
    survivor = handed_off(store)
    store.merge(duplicate, survivor, "alice")
    store.claim(survivor, "alice")
    store.resolve(survivor, "alice", "Renewed the consent.")
    clock.advance(days=100)
    store.add_message(store.case(duplicate).conversation_id, "customer", "any news?")
    assert store.purge(clock.now - timedelta(days=90)).cases == 1
    kept = store.case(duplicate)
    assert (kept.status, kept.merged_into) == ("resolved", None)


def test_erasing_a_customer_deletes_all_their_conversations_and_nothing_else(
    store: SqlCaseStore,
) -> None:
    maria = Customer(email="Maria.Kowalska@Bakery.example")
    first, second = _conversation(store, maria), _conversation(store, maria)
    case = store.open_case(second, new_case()).id  # open cases go too
    store.add_feedback(first, helpful=True)
    other = _conversation(store)
    preview = store.erase_customer("maria.kowalska@bakery.example ", dry_run=True)
    assert (preview.conversations, preview.messages, preview.cases, preview.feedback) == (
        2, 2, 1, 1,
    )  # fmt: skip
    assert store.erase_customer("MARIA.KOWALSKA@bakery.example") == preview
    assert [c.id for c in store.list_conversations()] == [other]
    refused(ErrorCode.NOT_FOUND, lambda: store.case(case))
    assert store.erase_customer(maria.email).conversations == 0
    refused(ErrorCode.INVALID_INPUT, lambda: store.erase_customer("  "), "email")


def test_content_gaps_are_the_questions_handed_off_for_lack_of_content_or_marked_unhelpful(
    store: SqlCaseStore, clock: Clock
) -> None:
    since = clock.now
    unsure = store.create_conversation(CUSTOMER).id
    store.add_message(
        unsure, "customer", "Can I export to Quillbox? I'm dana.whitfield@example.com"
    )
    intake = {"handoff": {"reasons": ["low_confidence"]}, "reasons": ["missing_information"]}
    store.add_message(unsure, "assistant", "Which account?", kind="intake", meta=intake)
    store.add_message(unsure, "customer", "cus_42, since Monday")  # details, not a question
    store.add_message(unsure, "assistant", "Passed on.", kind="handoff", meta=intake["handoff"])
    case = store.open_case(unsure, new_case()).id
    store.claim(case, "ana")
    store.resolve(case, "ana", "Quillbox export is under Settings → Integrations.")

    angry = store.create_conversation(CUSTOMER).id
    store.add_message(angry, "customer", "this is useless, get me a human")
    store.add_message(angry, "assistant", "Passed on.", kind="handoff", meta={"reasons": ["angry"]})

    rated = store.create_conversation(CUSTOMER).id
    store.add_message(rated, "customer", "how do I add a logo?")
    answer = store.add_message(rated, "assistant", "Use Templates.", kind="answer")
    store.add_feedback(rated, helpful=False, message_id=answer.id)

    gaps = store.gap_questions(since, clock.now + timedelta(minutes=1))
    assert [(g.conversation_id, g.signal) for g in gaps] == [
        (unsure, "handoff"),
        (rated, "unhelpful"),
    ]
    assert "dana.whitfield@example.com" not in gaps[0].text  # redacted like every export
    assert gaps[0].resolution.startswith("Quillbox export") and gaps[1].resolution == ""
    assert store.gap_questions(clock.now + timedelta(days=1), clock.now + timedelta(days=2)) == []
