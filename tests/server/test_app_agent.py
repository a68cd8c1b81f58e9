"""Agent routes: the queue, claiming, replying, notes, tags, merging, resolving, reopening —
on SQLite, and the same flow once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from assistant.settings import Settings
from assistant.store import Customer, NewCase
from tests.conftest import postgres_schema
from tests.server.helpers import Headers, MakeClient, handed_off, key, say, store

CASE_ROW = {
    "id", "conversation_id", "status", "priority", "priority_label", "priority_reasons",
    "category", "queue", "tags", "created_at", "waiting_seconds", "sla_due_at", "claimed_by",
    "claimed_at", "resolution", "merged_into", "resolved_at", "title", "customer", "kb_status",
}  # fmt: skip


def test_the_queue_lists_handed_off_cases_with_what_an_agent_needs(
    client: TestClient, agent: Headers
) -> None:
    chat, case_id = handed_off(client, product_area="invoicing")
    [row] = client.get("/v1/agent/cases", headers=agent).json()["cases"]
    assert set(row) == CASE_ROW
    assert (row["id"], row["conversation_id"], row["status"]) == (case_id, chat.id, "open")
    assert 0 <= row["priority"] <= 1 and row["priority_label"] in (
        "low",
        "normal",
        "high",
        "urgent",
    )
    assert row["title"] and row["waiting_seconds"] >= 0 and row["priority_reasons"]
    assert row["customer"]["email"] == "pat@example.com"
    assert client.get("/v1/agent/cases?status=resolved", headers=agent).json()["cases"] == []

    detail = client.get(f"/v1/agent/cases/{case_id}", headers=agent).json()
    assert set(detail) >= CASE_ROW
    assert "human_requested" in detail["summary"]["handoff_reasons"]
    assert [m["speaker"] for m in detail["transcript"]][:2] == ["customer", "assistant"]


def test_two_agents_cannot_work_one_case(client: TestClient, agent: Headers) -> None:
    _, case_id = handed_off(client)
    bob = key(client, "bob")
    claimed = client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent).json()
    assert (claimed["status"], claimed["claimed_by"]) == ("claimed", "alice")
    lost = client.post(f"/v1/agent/cases/{case_id}/claim", headers=bob)
    assert lost.status_code == 409
    assert lost.json()["error"] == {
        "code": "conflict",
        "message": f"Case {case_id} is already claimed by alice; pick another case.",
    }
    refused = client.post(f"/v1/agent/cases/{case_id}/reply", json={"text": "Hi"}, headers=bob)
    assert refused.status_code == 409
    released = client.post(f"/v1/agent/cases/{case_id}/release", headers=agent).json()
    assert (released["status"], released["claimed_by"]) == ("open", None)
    assert client.post(f"/v1/agent/cases/{case_id}/claim", headers=bob).status_code == 200


def test_a_reply_with_a_placeholder_left_is_refused_and_not_sent(
    client: TestClient, agent: Headers
) -> None:
    chat, case_id = handed_off(client)
    client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    refused = client.post(
        f"/v1/agent/cases/{case_id}/reply",
        json={"text": "Hi {{customer_name}}, fixed."},
        headers=agent,
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unprocessable"
    assert "{{customer_name}}" in refused.json()["error"]["message"]
    messages = client.get(chat.url(), headers=chat.headers).json()["messages"]
    assert all(m["speaker"] != "agent" for m in messages)


def test_saved_replies_come_filled_from_the_case(client: TestClient, agent: Headers) -> None:
    _, case_id = handed_off(client)
    replies = client.get(f"/v1/agent/cases/{case_id}/saved-replies", headers=agent).json()
    assert replies["replies"], replies
    for reply in replies["replies"]:
        assert set(reply) == {"id", "title", "text", "unfilled"}
        for name in reply["unfilled"]:
            assert "{{" + name + "}}" in reply["text"].replace(" ", "")
    assert not any("{{case_id}}" in r["text"] for r in replies["replies"])


def work_a_case(client: TestClient, agent: Headers) -> None:
    """The whole life of a case through the API, as the agent console drives it."""
    chat, case_id = handed_off(client)
    client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    sent = client.post(
        f"/v1/agent/cases/{case_id}/reply", json={"text": "Which invoice?"}, headers=agent
    )
    assert sent.status_code == 200
    assert (sent.json()["speaker"], sent.json()["author"]) == ("agent", "alice")
    note = client.post(
        f"/v1/agent/cases/{case_id}/notes", json={"text": "Checked billing."}, headers=agent
    ).json()
    assert note["speaker"] == "note"
    detail = client.get(f"/v1/agent/cases/{case_id}", headers=agent).json()
    assert detail["status"] == "waiting_on_customer"
    assert [m["text"] for m in detail["transcript"]][-2:] == ["Which invoice?", "Checked billing."]
    assert say(client, chat, "INV-0042")["action"] == "agent"  # the agent has it: silence

    tagged = client.post(
        f"/v1/agent/cases/{case_id}/tags", json={"add": ["Billing", "vip"]}, headers=agent
    ).json()
    assert {"billing", "vip"} <= set(tagged["tags"])
    untagged = client.post(
        f"/v1/agent/cases/{case_id}/tags", json={"remove": ["vip"]}, headers=agent
    ).json()
    assert "vip" not in untagged["tags"]

    _, duplicate_id = handed_off(client)
    merged = client.post(
        f"/v1/agent/cases/{duplicate_id}/merge", json={"into": case_id}, headers=agent
    ).json()
    assert merged["id"] == case_id
    gone = client.get(f"/v1/agent/cases/{duplicate_id}", headers=agent).json()
    assert (gone["status"], gone["merged_into"]) == ("resolved", case_id)

    resolved = client.post(
        f"/v1/agent/cases/{case_id}/resolve",
        json={"resolution": "Re-sent INV-0042."},
        headers=agent,
    ).json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "Re-sent INV-0042.")
    assert client.get(chat.url(), headers=chat.headers).json()["status"] == "resolved"
    reopened = client.post(
        f"/v1/agent/cases/{case_id}/reopen", json={"reason": "came back"}, headers=agent
    ).json()
    assert (reopened["status"], reopened["claimed_by"]) == ("open", None)
    queue = client.get("/v1/agent/cases?status=open&sort=waiting", headers=agent).json()
    assert [c["id"] for c in queue["cases"]] == [case_id]


def test_an_agent_works_a_case_from_claim_to_reopen(client: TestClient, agent: Headers) -> None:
    work_a_case(client, agent)


# Read at import: the autouse fixture in tests/conftest.py hides ANSWERDESK_* from tests.


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    yield from postgres_schema("server")


def test_the_same_flow_on_postgresql(
    make_client: MakeClient, app_settings: Settings, postgres_url: str
) -> None:
    client = make_client(database_url=postgres_url)
    work_a_case(client, key(client, "alice"))


def test_agents_search_cases_and_see_a_verified_customers_earlier_ones(
    client: TestClient, agent: Headers
) -> None:
    customer = Customer(id="u-9", email="noa@example.com", verified=True)
    cases = []
    for text in ("Exports hang at 90 percent", "Exports hang again, BANK-205 too"):
        conversation = store(client).create_conversation(customer).id
        store(client).add_message(conversation, "customer", text)
        cases.append(store(client).open_case(conversation, NewCase({"issue": text}, 0.5, "x")).id)
    found = client.get("/v1/agent/cases/search", params={"q": "bank-205"}, headers=agent)
    assert found.status_code == 200 and [c["id"] for c in found.json()["cases"]] == [cases[1]]
    by_email = client.get("/v1/agent/cases/search", params={"q": "noa@example.com"}, headers=agent)
    assert [c["id"] for c in by_email.json()["cases"]] == [cases[1], cases[0]]
    view = client.get(f"/v1/agent/cases/{cases[1]}", headers=agent).json()
    assert [c["id"] for c in view["earlier_cases"]] == [cases[0]]
    empty = client.get("/v1/agent/cases/search", params={"q": ""}, headers=agent)
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "invalid_input"


def test_the_customer_sees_the_agent_typing_only_while_they_type(
    client: TestClient, agent: Headers
) -> None:
    chat, case_id = handed_off(client)
    refused = client.post(f"/v1/agent/cases/{case_id}/typing", headers=agent)
    assert refused.status_code == 409  # not claimed: nobody is on it
    client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    assert client.get(chat.url(), headers=chat.headers).json()["handoff"]["agent_typing"] is False
    assert client.post(f"/v1/agent/cases/{case_id}/typing", headers=agent).status_code == 204
    assert client.get(chat.url(), headers=chat.headers).json()["handoff"]["agent_typing"] is True
    other = key(client, "bob")
    assert client.post(f"/v1/agent/cases/{case_id}/typing", headers=other).status_code == 409
    with store(client).engine.begin() as connection:  # ten seconds later, no keystroke since
        connection.exec_driver_sql(
            "UPDATE conversations SET agent_typing_at = ? WHERE id = ?",
            (datetime.now(UTC) - timedelta(seconds=10), chat.id),
        )
    assert client.get(chat.url(), headers=chat.headers).json()["handoff"]["agent_typing"] is False
