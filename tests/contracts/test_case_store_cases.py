"""Cases in the case store, on SQLite and PostgreSQL: opening one hands the conversation
off, the queue sorts and filters, and agents claim, reply, note, tag, resolve, reopen and merge;
every move from the wrong state is a clear conflict."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assistant.errors import ErrorCode
from assistant.store import SqlCaseStore
from tests.contracts.helpers import CUSTOMER, Clock, handed_off, new_case, refused

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
