"""Every route checks its caller: customers by their conversation's token, agents and admins by
API key; refused requests change nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.server.helpers import Chat, Headers, handed_off, key, runtime, say, start, store

# Open to anyone: starting a conversation, health, the status, the OpenAPI docs, the web UI.
PUBLIC = {
    ("GET", "/v1/status"),
    ("GET", "/status"),
    ("POST", "/v1/conversations"),
    ("POST", "/v1/conversations/{conversation_id}/resume"),  # the email's signed link is its key
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/"),
    ("GET", "/agent"),
    ("GET", "/admin"),
    ("GET", "/widget.js"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
BODIES: dict[str, dict[str, Any]] = {  # valid bodies: a refusal is not a validation error
    "messages": {"text": "Please refund me."},
    "feedback": {"helpful": False, "csat": 1},
    "reply": {"text": "Done."},
    "notes": {"text": "Note."},
    "tags": {"add": ["x"]},
    "merge": {"into": 1},
    "resolve": {"resolution": "Fixed."},
    "reopen": {"reason": "Again."},
    "approve": {"resolution": "Reconnect the bank in Settings, then wait for the next sync."},
    "reject": {"reason": "Too specific."},
    "incidents": {"title": "Exports slow", "message": "Looking into it."},
    "updates": {"status": "resolved", "message": "Fixed."},
    "webhooks": {"url": "https://hooks.example.com/x", "events": ["case.created"]},
    "email": {"email": "kim@example.com"},
}


def routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every API route, also those of included routers (which
    FastAPI keeps nested, under `original_router`)."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.extend((method, route.path) for method in route.methods)
            nested = getattr(route, "original_router", None)
            if nested is not None:
                walk(nested.routes)

    walk(client.app.routes)  # type: ignore[attr-defined]
    assert len(found) == 66, found  # the contract's routes, each once
    return sorted(found)


def call(
    client: TestClient, method: str, template: str, values: dict[str, str], headers: Headers
) -> tuple[int, dict[str, Any]]:
    path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
    body = BODIES.get(template.rsplit("/", 1)[-1]) if method == "POST" else None
    response = client.request(method, path, json=body, headers=headers)
    return response.status_code, response.json()


def snapshot(client: TestClient) -> dict[str, Any]:
    with store(client).engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in (
                "conversations",
                "messages",
                "cases",
                "feedback",
                "api_keys",
                "incidents",
                "incident_updates",
                "events",
                "webhooks",
                "webhook_deliveries",
                "mails",
            )
        }
    cases = [(c.id, c.status, c.claimed_by, c.tags) for c in store(client).list_all_cases()]
    reindexer = runtime(client).reindexer
    assert reindexer is not None
    return {**counts, "cases": cases, "reindex": reindexer._running}


def test_every_route_refuses_callers_without_the_right_credentials(
    client: TestClient, agent: Headers
) -> None:
    victim, case_id = handed_off(client)
    intruder = start(client)
    values = {
        "conversation_id": victim.id, "case_id": str(case_id), "job": "x", "kind": "cases",
        "run": "0123456789ab", "incident_id": "1", "webhook_id": "1", "delivery_id": "1",
    }  # fmt: skip
    before = snapshot(client)
    checked = 0
    for method, template in routes(client):
        if (method, template) in PUBLIC:
            continue
        checked += 1
        customer = template.startswith("/v1/conversations/")
        admin_only = template.startswith("/v1/admin/")
        attempts: list[tuple[str, Headers, int]] = [
            ("no credentials", {}, 401),
            ("a wrong API key", {"X-API-Key": "adk_not-a-key"}, 401),
            ("a wrong token", {"Authorization": "Bearer not-a-token"}, 404 if customer else 401),
            ("another conversation's token", intruder.headers, 404 if customer else 401),
        ]
        if customer:
            attempts.append(("an agent key", agent, 401))
        if not customer:
            attempts.append(("the customer's token", victim.headers, 401))
        if admin_only:
            attempts.append(("an agent key", agent, 403))
        for who, headers, status in attempts:
            got, body = call(client, method, template, values, headers)
            assert got == status, f"{method} {template} with {who}: {got} {body}"
            assert body["error"]["code"] == {401: "unauthorized", 403: "forbidden"}.get(
                status, "not_found"
            )
    assert checked >= 18
    assert snapshot(client) == before


def test_the_right_credentials_open_the_door(client: TestClient, agent: Headers) -> None:
    chat = start(client)
    assert client.get(chat.url(), headers=chat.headers).status_code == 200
    assert client.get("/v1/agent/me", headers=agent).json() == {"name": "alice", "role": "agent"}
    admin = key(client, "root", "admin")
    assert client.get("/v1/agent/me", headers=admin).json()["role"] == "admin"  # admin ⊇ agent
    assert client.get("/v1/admin/stats", headers=admin).status_code == 200


def test_a_revoked_key_is_refused_at_once(client: TestClient, agent: Headers) -> None:
    keys = runtime(client).keys
    assert keys is not None
    keys.revoke("alice")
    response = client.get("/v1/agent/me", headers=agent)
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]


def test_a_token_opens_its_own_conversation_only(client: TestClient) -> None:
    mine, theirs = start(client), start(client)
    say(client, theirs, "hello there, how do invoices work?")
    peek = client.get(theirs.url(), headers=mine.headers)
    assert peek.status_code == 404
    assert theirs.id in peek.json()["error"]["message"]  # says nothing about whether it exists
    unknown = client.get(Chat("0" * 32, mine.headers).url(), headers=mine.headers)
    assert unknown.status_code == 404


@pytest.mark.parametrize("scheme", ["Basic", "Token"])
def test_only_bearer_tokens_are_read(client: TestClient, scheme: str) -> None:
    chat = start(client)
    token = chat.headers["Authorization"].split()[1]
    response = client.get(chat.url(), headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 401
