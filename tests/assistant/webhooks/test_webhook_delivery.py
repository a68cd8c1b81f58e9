"""Delivery: a real receiver on loopback verifies every signature; failures are retried with
backoff and jitter until delivered or given up; a subscription failing in a row is paused;
private addresses are refused unless allowed."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.errors import AnswerdeskError
from assistant.store import SqlCaseStore, make_engine, upgrade
from assistant.store.protocol import Customer, NewCase
from assistant.store.webhooks import Target
from assistant.webhooks.bodies import ping
from assistant.webhooks.sender import Sender, check_reachable
from assistant.webhooks.worker import DeliveryWorker, Policy, retry_delay
from tests.webhook_receiver import SECRET, Receiver, Script, receiver

__all__ = ["receiver"]  # the shared receiver fixture


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[SqlCaseStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    upgrade(engine)
    store = SqlCaseStore(engine, now=clock)
    yield store
    store.close()


def worker(store: SqlCaseStore, **policy: float) -> DeliveryWorker:
    rules = Policy(**{"timeout": 2.0, "backoff": 10.0, "max_attempts": 4, **policy})  # type: ignore[arg-type]
    return DeliveryWorker(store, Sender(rules.timeout, allow_private=True), rules, random.Random(1))


def open_case(store: SqlCaseStore, text: str = "Everything is down", priority: float = 0.9) -> int:
    conversation = store.create_conversation(Customer(email="kim@example.com")).id
    store.add_message(conversation, "customer", text)
    new = NewCase({"issue": text}, priority, "outage", "support", ("angry",))
    return store.open_case(conversation, new).id


def test_each_event_arrives_signed_with_its_id(store: SqlCaseStore, receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
    store.add_webhook(url, ["case.created", "message.created"], secret=SECRET)
    case = open_case(store)
    assert worker(store).run_once() == 2
    assert receiver.rejected == [] and receiver.duplicates == 0
    events = {r.body["type"]: r for r in receiver.received.values()}
    assert set(events) == {"case.created", "message.created"}
    created = events["case.created"]
    assert created.body["data"]["case"]["id"] == case
    assert created.headers["Answerdesk-Event-Type"] == "case.created"
    assert created.headers["Answerdesk-Event-Id"] == created.body["id"]
    assert created.headers["User-Agent"].startswith("answerdesk-webhooks/")
    assert {d.status for d in store.deliveries()} == {"delivered"}


def test_a_receiver_failing_twice_gets_it_on_the_third_attempt(
    store: SqlCaseStore, receiver: Receiver, clock: Clock
) -> None:
    url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
    store.add_webhook(url, ["case.created"], secret=SECRET)
    receiver.script = Script(fail=2, status=503)
    open_case(store)
    sender = worker(store)
    waits = []
    for _ in range(3):
        assert sender.run_once() == 1
        (delivery,) = store.deliveries()
        if delivery.status == "pending":
            waits.append((delivery.next_attempt_at - clock.now).total_seconds())
            assert sender.run_once() == 0  # not due before its backoff
            clock.now = delivery.next_attempt_at
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert len(receiver.received) == 1 and receiver.requests == 3
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20  # doubling, with jitter


def test_a_delivery_is_given_up_after_its_last_attempt_and_can_be_replayed(
    store: SqlCaseStore, receiver: Receiver, clock: Clock
) -> None:
    url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
    store.add_webhook(url, ["case.created"], secret=SECRET)
    receiver.script = Script(fail=100, status=500)
    open_case(store)
    sender = worker(store, max_attempts=3)
    for _ in range(3):
        sender.run_once()
        clock.now += timedelta(hours=1)
    (delivery,) = store.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("failed", 3, 500)
    receiver.script = Script()
    store.replay_delivery(delivery.id)
    assert sender.run_once() == 1
    assert store.deliveries()[0].status == "delivered" and len(receiver.received) == 1


def test_a_subscription_failing_in_a_row_is_paused_and_resumes_with_what_waited(
    store: SqlCaseStore, receiver: Receiver, clock: Clock
) -> None:
    url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
    hook = store.add_webhook(url, ["case.created"], secret=SECRET).webhook
    receiver.script = Script(fail=100, status=502)
    for n in range(3):
        open_case(store, f"Problem {n}")
    worker(store, pause_after=3).run_once()
    paused = store.webhook(hook.id)
    assert paused.status == "paused" and "HTTP 502" in paused.paused_reason
    open_case(store, "Problem 4")
    clock.now += timedelta(hours=2)
    assert worker(store).run_once() == 0  # nothing is sent to a paused subscription
    receiver.script = Script()
    store.resume_webhook(hook.id)
    worker(store).run_once()
    assert len(receiver.received) == 4 and {d.status for d in store.deliveries()} == {"delivered"}


def test_a_stalled_receiver_times_out_and_is_retried(
    store: SqlCaseStore, receiver: Receiver
) -> None:
    url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
    store.add_webhook(url, ["case.created"], secret=SECRET)
    receiver.script = Script(delay=2.0)
    open_case(store)
    worker(store, timeout=0.5).run_once()
    (delivery,) = store.deliveries()
    assert delivery.status == "pending" and delivery.last_status is None
    assert "Timeout" in delivery.last_error


def test_retry_delays_double_up_to_the_cap_with_jitter() -> None:
    rng = random.Random(3)
    for failed, ceiling in ((1, 10), (2, 20), (3, 40), (9, 1000), (30, 1000)):
        waits = [retry_delay(failed, 10, 1000, rng) for _ in range(200)]
        assert ceiling / 2 <= min(waits) and max(waits) <= ceiling
        assert max(waits) - min(waits) > ceiling / 4  # spread: not everyone at once


def test_private_addresses_are_refused_unless_allowed(receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
    with pytest.raises(AnswerdeskError, match="not a public address"):
        check_reachable(url, allow_private=False)
    check_reachable(url, allow_private=True)
    with pytest.raises(AnswerdeskError, match="does not resolve"):
        check_reachable("https://no-such-host.invalid/hook", allow_private=True)
    sent = Sender(2.0).send(Target(url, "json", SECRET), ping())
    assert not sent.ok and "not a public address" in sent.error and receiver.requests == 0


def test_the_worker_thread_delivers_until_closed(store: SqlCaseStore, receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"
    store.add_webhook(url, ["case.created"], secret=SECRET)
    running = worker(store)
    running.start(poll_seconds=0.05)
    try:
        open_case(store)
        receiver.wait_for(1, timeout=10)
    finally:
        running.close()
    assert not any(t.name == "webhook-delivery" and t.is_alive() for t in threading.enumerate())
