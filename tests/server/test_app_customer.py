"""Customer routes: a conversation from the first message to a person's reply."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.identity import sign
from assistant.store.protocol import Customer
from tests.server.helpers import ANSWERABLE, Headers, MakeClient, handed_off, say, start, store


def test_a_conversation_starts_with_an_id_and_a_token_and_keeps_the_customer(
    client: TestClient,
) -> None:
    response = client.post(
        "/v1/conversations", json={"customer": {"email": "ann@example.com", "plan": "business"}}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "token"} and len(body["token"]) >= 32
    seen = client.get(
        f"/v1/conversations/{body['id']}", headers={"Authorization": f"Bearer {body['token']}"}
    ).json()
    assert seen["customer"]["email"] == "ann@example.com"
    assert seen["customer"]["plan"] == "business"
    assert (seen["status"], seen["messages"], seen["handoff"]) == ("active", [], None)


def test_the_body_is_optional_when_starting(client: TestClient) -> None:
    assert client.post("/v1/conversations").status_code == 201


def test_a_signed_customer_context_is_verified_and_a_forged_one_refused(
    make_client: MakeClient,
) -> None:
    client = make_client(identity_secret=SecretStr("site-secret"))
    ana = {"id": "u-1", "email": "ana@example.com", "plan": "pro", "role": ""}
    good = sign(Customer(**ana), "site-secret")
    started = client.post("/v1/conversations", json={"customer": ana, "signature": good})
    assert started.status_code == 201
    body = started.json()
    seen = client.get(
        f"/v1/conversations/{body['id']}", headers={"Authorization": f"Bearer {body['token']}"}
    ).json()
    assert seen["customer"]["verified"] is True
    forged = {**ana, "plan": "vip"}
    refused = client.post("/v1/conversations", json={"customer": forged, "signature": good})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    unsigned = client.post("/v1/conversations", json={"customer": forged}).json()
    seen = client.get(
        f"/v1/conversations/{unsigned['id']}",
        headers={"Authorization": f"Bearer {unsigned['token']}"},
    ).json()
    assert seen["customer"]["verified"] is False and seen["customer"]["plan"] == "vip"


def test_an_answerable_question_gets_a_cited_answer_that_is_stored(client: TestClient) -> None:
    chat = start(client)
    reply = say(client, chat, ANSWERABLE)
    assert reply["action"] == "answer" and reply["decision"]["action"] == "answer"
    assert reply["answer"] and reply["citations"], reply
    assert 0 <= reply["confidence"] <= 1
    first = reply["citations"][0]
    assert set(first) == {"n", "document_id", "title", "url", "section", "kind", "snippet"}
    assert reply["handoff"] is None

    seen = client.get(chat.url(), headers=chat.headers).json()
    customer, assistant = seen["messages"]
    assert (customer["speaker"], customer["text"], customer["kind"]) == (
        "customer",
        ANSWERABLE,
        "message",
    )
    assert assistant["id"] == reply["message_id"] and assistant["text"] == reply["answer"]
    assert assistant["citations"][0]["document_id"] == first["document_id"]
    assert assistant["kind"] == "answer" and assistant["created_at"].startswith("20")


def test_asking_for_a_person_hands_off_and_then_waits_then_a_person_answers(
    client: TestClient, agent: Headers
) -> None:
    chat, case_id = handed_off(client)
    seen = client.get(chat.url(), headers=chat.headers).json()
    assert seen["status"] == "handed_off"
    assert seen["handoff"]["case_id"] == case_id and seen["handoff"]["status"] == "open"
    assert seen["handoff"]["expected_wait"]["text"]

    waiting = say(client, chat, "It is about my invoice from March.")
    assert waiting["action"] == "waiting" and waiting["handoff"]["case_id"] == case_id

    assert client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent).status_code == 200
    silent = say(client, chat, "Are you there?")
    assert silent["action"] == "agent"
    assert (silent["answer"], silent["message_id"]) == (None, None)
    assert silent["handoff"]["status"] == "claimed"

    client.post(f"/v1/agent/cases/{case_id}/notes", json={"text": "VIP"}, headers=agent)
    client.post(f"/v1/agent/cases/{case_id}/reply", json={"text": "Hi, Alice here."}, headers=agent)
    messages = client.get(chat.url(), headers=chat.headers).json()["messages"]
    assert [m["speaker"] for m in messages][-1] == "agent"
    assert messages[-1]["author"] == "alice" and messages[-1]["text"] == "Hi, Alice here."
    assert "VIP" not in {m["text"] for m in messages}  # notes are never shown to the customer


def test_feedback_is_stored_and_checked(client: TestClient) -> None:
    chat = start(client)
    reply = say(client, chat, ANSWERABLE)
    response = client.post(
        chat.url("/feedback"),
        json={"helpful": True, "csat": 5, "comment": "quick", "message_id": reply["message_id"]},
        headers=chat.headers,
    )
    assert (response.status_code, response.json()) == (201, {"ok": True})
    [stored] = store(client).feedback(chat.id)
    assert (stored.helpful, stored.csat, stored.message_id) == (True, 5, reply["message_id"])

    bad = client.post(chat.url("/feedback"), json={"csat": 6}, headers=chat.headers)
    assert bad.status_code == 400 and "csat" in bad.json()["error"]["message"]
    other = start(client)
    foreign = client.post(
        other.url("/feedback"),
        json={"helpful": False, "message_id": reply["message_id"]},
        headers=other.headers,
    )
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "not_found"
    assert len(store(client).feedback(chat.id)) == 1 and store(client).feedback(other.id) == []
