"""Webhooks through the admin API: a subscription gets each event it asked for, signed, from
the server's own delivery worker; the log shows every attempt, and a failed delivery can be
replayed; bad subscriptions are refused with the one error shape."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.helpers import Headers, MakeClient, handed_off, key, say, start
from tests.webhook_receiver import SECRET, Receiver, Script, receiver

__all__ = ["receiver"]  # the shared receiver fixture


@pytest.fixture
def live(make_client: MakeClient) -> TestClient:
    """A server delivering to loopback receivers, polling often, retrying soon."""
    return make_client(
        webhook_allow_private=True, webhook_poll_seconds=0.05, webhook_backoff_seconds=0.2
    )


def subscribe(client: TestClient, admin: Headers, url: str, **body: Any) -> dict[str, Any]:
    payload = {"url": url, "events": ["case.created", "message.created"], "secret": SECRET}
    response = client.post("/v1/admin/webhooks", json={**payload, **body}, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def settled(live: TestClient, admin: Headers, count: int) -> list[dict[str, Any]]:
    """The delivery log once `count` deliveries have left `pending`: the receiver records a
    request before its answer reaches the sender, which writes the status after that."""

    def log() -> list[dict[str, Any]]:
        return list(live.get("/v1/admin/webhooks/deliveries", headers=admin).json()["deliveries"])

    until(lambda: sum(d["status"] != "pending" for d in log()) >= count)
    return log()


def url_of(receiver: Receiver) -> str:
    return f"http://127.0.0.1:{receiver.server.server_address[1]}/hook"


def test_a_hand_off_reaches_the_subscribed_receiver_signed(
    live: TestClient, receiver: Receiver
) -> None:
    admin = key(live, "root", "admin")
    created = subscribe(live, admin, url_of(receiver))
    assert created["secret"] == SECRET and created["webhook"]["secret_hint"] == SECRET[:8]
    assert created["webhook"]["status"] == "active"
    chat, case_id = handed_off(live)
    receiver.wait_for(3)  # the customer's message, the hand-off reply, the case
    assert receiver.rejected == [] and receiver.duplicates == 0
    kinds = sorted(r.body["type"] for r in receiver.received.values())
    assert kinds.count("case.created") == 1 and kinds.count("message.created") >= 2
    case = next(r for r in receiver.received.values() if r.body["type"] == "case.created")
    assert case.body["data"]["case"]["id"] == case_id
    assert case.body["data"]["case"]["conversation_id"] == chat.id
    log = settled(live, admin, len(receiver.received))
    assert {d["status"] for d in log} == {"delivered"} and len(log) == len(receiver.received)
    listed = live.get("/v1/admin/webhooks", headers=admin).json()["webhooks"]
    assert [w["id"] for w in listed] == [created["webhook"]["id"]] and "secret" not in listed[0]


def test_failed_deliveries_are_retried_logged_and_replayed(
    live: TestClient, receiver: Receiver
) -> None:
    admin = key(live, "root", "admin")
    subscribe(live, admin, url_of(receiver), events=["case.created"])
    receiver.script = Script(fail=2, status=500)
    handed_off(live)
    receiver.wait_for(1)
    (delivery,) = settled(live, admin, 1)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert receiver.requests == 3
    replayed = live.post(
        f"/v1/admin/webhooks/deliveries/{delivery['id']}/replay", headers=admin
    ).json()
    assert replayed["status"] == "pending" and replayed["event_id"] == delivery["event_id"]
    # `requests` counts a request as it arrives; wait until it has been handled too.
    until(lambda: receiver.requests >= 4 and receiver.duplicates + len(receiver.received) >= 2)
    assert receiver.requests == 4 and receiver.duplicates == 1  # the receiver deduplicated


def test_test_sends_a_signed_ping_and_reports_the_answer(
    live: TestClient, receiver: Receiver
) -> None:
    admin = key(live, "root", "admin")
    hook = subscribe(live, admin, url_of(receiver))["webhook"]
    tested = live.post(f"/v1/admin/webhooks/{hook['id']}/test", headers=admin).json()
    assert tested["delivered"] is True and tested["status"] == 204
    (ping,) = receiver.received.values()
    assert ping.body["type"] == "ping" and receiver.rejected == []
    receiver.script = Script(fail=1, status=410)
    failed = live.post(f"/v1/admin/webhooks/{hook['id']}/test", headers=admin).json()
    assert failed["delivered"] is False and failed["status"] == 410


def test_removed_and_paused_subscriptions_through_the_api(
    make_client: MakeClient, receiver: Receiver
) -> None:
    client = make_client(
        webhook_allow_private=True, webhook_poll_seconds=0.05, webhook_backoff_seconds=0.05,
        webhook_pause_after=2,
    )  # fmt: skip
    admin = key(client, "root", "admin")
    hook = subscribe(client, admin, url_of(receiver), events=["case.created"])["webhook"]
    receiver.script = Script(fail=2, status=503)
    handed_off(client)

    def listed() -> list[dict[str, Any]]:
        hooks: list[dict[str, Any]] = client.get("/v1/admin/webhooks", headers=admin).json()[
            "webhooks"
        ]
        return hooks

    until(lambda: listed()[0]["status"] == "paused")
    assert listed()[0]["status"] == "paused" and "HTTP 503" in listed()[0]["paused_reason"]
    resumed = client.post(f"/v1/admin/webhooks/{hook['id']}/resume", headers=admin).json()
    assert resumed["status"] == "active"
    receiver.wait_for(1)
    removed = client.delete(f"/v1/admin/webhooks/{hook['id']}", headers=admin)
    assert removed.status_code == 200
    assert client.get("/v1/admin/webhooks", headers=admin).json()["webhooks"] == []
    gone = client.post(f"/v1/admin/webhooks/{hook['id']}/resume", headers=admin)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"url": "ftp://example.com/x"}, "http(s) URL"),
        ({"url": "http://127.0.0.1:9/hook"}, "not a public address"),
        ({"url": "https://hooks.example.com", "events": ["case.exploded"]}, "events"),
        ({"url": "https://hooks.example.com", "events": []}, "events"),
        ({"url": "https://hooks.example.com", "format": "xml"}, "format"),
        ({"url": "https://hooks.example.com", "secret": "short"}, "secret"),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_stored(
    client: TestClient, admin: Headers, body: dict[str, Any], fragment: str
) -> None:
    payload = {"events": ["case.created"], **body}
    response = client.post("/v1/admin/webhooks", json=payload, headers=admin)
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("invalid_input", "validation_error")
    assert fragment in response.text
    assert client.get("/v1/admin/webhooks", headers=admin).json()["webhooks"] == []


def test_a_customer_message_never_waits_for_a_slow_receiver(
    live: TestClient, receiver: Receiver
) -> None:
    admin = key(live, "root", "admin")
    subscribe(live, admin, url_of(receiver))
    receiver.script = Script(delay=3.0)
    chat = start(live)
    began = time.perf_counter()
    say(live, chat, "How do I reconnect my bank?")
    assert time.perf_counter() - began < 2.0
