"""The outbox and the webhook log of the case store, on SQLite and PostgreSQL: every change
writes its event in its own transaction, subscriptions get a delivery of what they asked for,
deliveries are leased, retried, paused with the subscription, replayed, and erased with the
customer."""

from __future__ import annotations

import threading
from datetime import timedelta

from assistant.errors import ErrorCode
from assistant.store import SqlCaseStore
from tests.contracts.helpers import CUSTOMER, Clock, handed_off, new_case, refused

ALL = [
    "case.created",
    "case.updated",
    "case.claimed",
    "case.resolved",
    "message.created",
    "feedback.created",
]
LEASE = timedelta(seconds=30)


def types(store: SqlCaseStore, after: int = 0) -> list[str]:
    return [e.type for e in store.events_after(after, limit=1000)]


def test_each_change_writes_its_event_with_a_snapshot(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    store.add_message(conversation, "customer", "My card 4111 1111 1111 1111 was charged twice")
    case = store.open_case(conversation, new_case(priority=0.9)).id
    store.claim(case, "alice")
    store.reply(case, "alice", "Refunded the second charge.")
    store.add_note(case, "alice", "Refund id R-1")
    store.tag(case, add=["billing"])
    store.update_summary(case, {"issue": "double charge"}, priority=0.95)
    store.resolve(case, "alice", "Refunded.")
    store.add_feedback(conversation, helpful=True, csat=5)
    assert types(store) == [
        "message.created", "case.created", "case.claimed", "message.created",
        "message.created", "case.updated", "case.updated", "case.resolved", "feedback.created",
    ]  # fmt: skip
    events = store.events_after(0, limit=100)
    first = events[0].data["message"]
    assert "4111" not in first["text"] and first["speaker"] == "customer"
    assert events[0].case_id is None and events[3].case_id == case  # the reply, on the case
    created = events[1].data["case"]
    assert created["id"] == case and created["priority_label"] == "urgent"
    assert created["status"] == "open" and events[1].key.startswith("evt_")
    assert events[4].data["message"]["internal"] is True
    assert events[6].data["change"] == "summary" and events[6].data["case"]["priority"] == 0.95
    assert events[7].data["case"]["resolution"] == "Refunded."
    assert events[8].data["feedback"]["csat"] == 5 and events[8].data["case_id"] == case
    assert len({e.key for e in events}) == len(events)
    assert store.last_event_id() == events[-1].id
    assert [e.id for e in store.events_after(events[5].id)] == [e.id for e in events[6:]]


def test_a_refused_change_writes_no_event(store: SqlCaseStore) -> None:
    case = handed_off(store)
    before = store.last_event_id()
    store.claim(case, "alice")
    refused(ErrorCode.CONFLICT, lambda: store.claim(case, "bob"), "alice")
    refused(ErrorCode.CONFLICT, lambda: store.resolve(case, "bob", "Done."))
    assert types(store, before) == ["case.claimed"]


def test_merges_releases_and_reopens_are_told(store: SqlCaseStore) -> None:
    survivor, duplicate = handed_off(store), handed_off(store, "Bank sync stopped again")
    store.claim(survivor, "alice")
    before = store.last_event_id()
    store.release(survivor, "alice")
    store.merge(duplicate, survivor, "alice")
    events = store.events_after(before)
    assert [(e.type, e.data.get("change"), e.case_id) for e in events] == [
        ("case.updated", "released", survivor),
        ("message.created", None, survivor),  # the merge note
        ("case.resolved", "merged", duplicate),
        ("case.updated", "merged", survivor),
    ]
    store.claim(survivor, "bob")
    store.resolve(survivor, "bob", "Fixed.")
    store.reopen(survivor, "bob", "It broke again")
    assert types(store)[-2:] == ["message.created", "case.updated"]


def test_a_subscription_gets_a_delivery_of_each_event_it_asked_for(store: SqlCaseStore) -> None:
    everything = store.add_webhook("https://hooks.example.com/all", ALL).webhook
    cases = store.add_webhook("https://hooks.example.com/cases", ["case.created"]).webhook
    urgent = store.add_webhook(
        "https://hooks.slack.example/T1/B2", ["case.created"], format="slack",
        priorities=["urgent"],
    ).webhook  # fmt: skip
    handed_off(store)  # a message, then a normal case
    handed_off(store, "Everything is down", priority=0.95)
    log = store.deliveries(limit=100)
    per = {h.id: [d.event.type for d in log if d.webhook_id == h.id] for h in (everything, cases)}
    assert per[everything.id] == ["case.created", "message.created"] * 2
    assert per[cases.id] == ["case.created", "case.created"]
    slack = [d for d in log if d.webhook_id == urgent.id]
    assert [d.event.data["case"]["priority_label"] for d in slack] == ["urgent"]
    assert all(d.status == "pending" and d.attempts == 0 for d in log)


def test_subscriptions_are_validated_and_the_secret_shown_once(store: SqlCaseStore) -> None:
    new = store.add_webhook(" https://hooks.example.com/x ", ["case.created", "case.created"])
    assert new.secret.startswith("whsec_") and len(new.secret) > 30
    hook = new.webhook
    assert hook.url == "https://hooks.example.com/x" and hook.events == ("case.created",)
    assert hook.secret_hint == new.secret[:8] and hook.status == "active"
    assert store.webhooks() == [hook] and store.webhook(hook.id) == hook
    for bad in (
        lambda: store.add_webhook("ftp://hooks.example.com", ["case.created"]),
        lambda: store.add_webhook("https://user:pw@hooks.example.com", ["case.created"]),
        lambda: store.add_webhook("https://hooks.example.com", ["case.exploded"]),
        lambda: store.add_webhook("https://hooks.example.com", []),
        lambda: store.add_webhook("https://hooks.example.com", ALL, format="xml"),
        lambda: store.add_webhook("https://hooks.example.com", ALL, priorities=["asap"]),
        lambda: store.add_webhook("https://hooks.example.com", ALL, secret="short"),
    ):
        refused(ErrorCode.INVALID_INPUT, bad)
    assert store.webhooks() == [hook]  # nothing refused was stored
    refused(ErrorCode.NOT_FOUND, lambda: store.webhook(9999))


def test_a_leased_delivery_is_not_leased_again_until_its_lease_runs_out(
    store: SqlCaseStore, clock: Clock
) -> None:
    store.add_webhook("https://hooks.example.com/all", ["case.created"])
    handed_off(store)
    (delivery, target), *_ = store.lease_deliveries(10, LEASE)
    assert target.url == "https://hooks.example.com/all" and target.format == "json"
    assert store.lease_deliveries(10, LEASE) == []  # another worker finds nothing
    clock.advance(seconds=31)  # the first worker died: the lease ran out
    again = store.lease_deliveries(10, LEASE)
    assert [d.id for d, _ in again] == [delivery.id]


def test_two_workers_leasing_at_once_never_share_a_delivery(store: SqlCaseStore) -> None:
    store.add_webhook("https://hooks.example.com/all", ALL)
    for n in range(10):
        handed_off(store, f"Problem number {n}")
    taken: list[list[int]] = [[], []]

    def work(mine: list[int]) -> None:
        while batch := store.lease_deliveries(3, LEASE):
            mine.extend(d.id for d, _ in batch)

    threads = [threading.Thread(target=work, args=(t,)) for t in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(taken[0]) & set(taken[1])
    assert sorted(taken[0] + taken[1]) == sorted(d.id for d in store.deliveries(limit=100))


def test_failures_retry_then_fail_and_a_subscription_failing_in_a_row_is_paused(
    store: SqlCaseStore, clock: Clock
) -> None:
    hook = store.add_webhook("https://hooks.example.com/down", ["case.created"]).webhook
    handed_off(store)
    handed_off(store, "Second problem")
    first, second = (d for d, _ in store.lease_deliveries(10, LEASE))
    retry = store.finish_delivery(
        first.id, status=500, error="HTTP 500", retry_at=clock.now + timedelta(seconds=20),
        pause_after=3,
    )  # fmt: skip
    assert (retry.status, retry.attempts, retry.last_status) == ("pending", 1, 500)
    assert store.lease_deliveries(10, LEASE) == []  # not due yet
    gave_up = store.finish_delivery(second.id, status=None, error="timed out", pause_after=3)
    assert gave_up.status == "failed" and gave_up.last_error == "timed out"
    clock.advance(seconds=30)
    (again, _), *_ = store.lease_deliveries(10, LEASE)
    store.finish_delivery(again.id, status=502, retry_at=clock.now, pause_after=3)
    paused = store.webhook(hook.id)
    assert paused.status == "paused" and paused.failures == 3
    assert "3 delivery attempts failed in a row" in paused.paused_reason
    assert "HTTP 502" in paused.paused_reason
    handed_off(store, "Third problem")  # still recorded for it, to send on resume
    clock.advance(minutes=5)
    assert store.lease_deliveries(10, LEASE) == []
    assert store.resume_webhook(hook.id).status == "active"
    due = [d.id for d, _ in store.lease_deliveries(10, LEASE)]
    assert len(due) == 2 and first.id in due  # the retried one and the newest


def test_success_resets_the_failure_count_and_replay_sends_again(
    store: SqlCaseStore, clock: Clock
) -> None:
    hook = store.add_webhook("https://hooks.example.com/flaky", ["case.created"]).webhook
    handed_off(store)
    (delivery, _), *_ = store.lease_deliveries(10, LEASE)
    store.finish_delivery(delivery.id, status=503, retry_at=clock.now, pause_after=5)
    assert store.webhook(hook.id).failures == 1
    clock.advance(seconds=1)
    (delivery, _), *_ = store.lease_deliveries(10, LEASE)
    done = store.finish_delivery(delivery.id, status=204, pause_after=5)
    assert done.status == "delivered" and done.attempts == 2 and done.delivered_at is not None
    assert store.webhook(hook.id).failures == 0
    replayed = store.replay_delivery(delivery.id)
    assert (replayed.status, replayed.attempts, replayed.delivered_at) == ("pending", 0, None)
    assert [d.id for d, _ in store.lease_deliveries(10, LEASE)] == [delivery.id]
    assert [d.id for d in store.deliveries(status="pending")] == [delivery.id]
    refused(ErrorCode.NOT_FOUND, lambda: store.replay_delivery(9999))


def test_removing_a_subscription_ends_its_deliveries(store: SqlCaseStore) -> None:
    hook = store.add_webhook("https://hooks.example.com/old", ["case.created"]).webhook
    handed_off(store)
    store.remove_webhook(hook.id)
    assert store.webhooks() == [] and store.lease_deliveries(10, LEASE) == []
    (delivery,) = store.deliveries(webhook_id=hook.id)
    assert delivery.status == "failed" and "removed" in delivery.last_error
    handed_off(store, "Another one")
    assert len(store.deliveries(webhook_id=hook.id)) == 1  # nothing new for it
    refused(ErrorCode.NOT_FOUND, lambda: store.replay_delivery(delivery.id))


def test_erasing_a_customer_erases_their_events_and_waiting_deliveries(
    store: SqlCaseStore,
) -> None:
    store.add_webhook("https://hooks.example.com/all", ALL)
    handed_off(store)
    assert store.events_after(0) and store.deliveries()
    store.erase_customer(CUSTOMER.email or "")
    assert store.events_after(0) == [] and store.deliveries() == []
