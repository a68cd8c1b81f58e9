"""Transactions of the case store, on SQLite and PostgreSQL: reading and writing blocks, and
API workers on their own engines racing for one case, one file's lock, one migration."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store import Case, SqlCaseStore, make_engine, upgrade
from tests.contracts.helpers import CUSTOMER, T, handed_off, new_case, refused

# Reading and writing blocks


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
