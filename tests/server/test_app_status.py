"""Incidents through the API: admins open and update them, anyone reads the status, and the
customers they affect hear of them first in the chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.server.helpers import Headers, say, start, store

FEEDS = {
    "title": "Bank feeds delayed",
    "areas": ["Banking"],
    "status": "investigating",
    "message": "Feeds from some banks are late; we are on it.",
}


def opened(client: TestClient, admin: Headers, **changes: Any) -> dict[str, Any]:
    response = client.post("/v1/admin/incidents", json={**FEEDS, **changes}, headers=admin)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_incident_is_on_the_status_at_once_and_leaves_it_resolved(
    client: TestClient, admin: Headers
) -> None:
    assert client.get("/v1/status").json()["status"] == "operational"
    incident = opened(client, admin)
    assert incident["areas"] == ["banking"] and incident["updates"][0]["author"] == "root"
    status = client.get("/v1/status").json()
    assert status["status"] == "incident" and status["resolved"] == []
    [shown] = status["incidents"]
    assert shown["title"] == "Bank feeds delayed" and shown["status"] == "investigating"
    assert "author" not in shown["updates"][0]  # who posted it is the team's business
    url = f"/v1/admin/incidents/{incident['id']}/updates"
    update = {"status": "resolved", "message": "Feeds are back."}
    resolved = client.post(url, json=update, headers=admin).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert [u["status"] for u in resolved["updates"]] == ["resolved", "investigating"]
    after = client.get("/v1/status").json()
    assert after["status"] == "operational" and after["incidents"] == []
    assert [i["id"] for i in after["resolved"]] == [incident["id"]]
    again = client.post(url, json=update, headers=admin)
    assert again.status_code == 409 and "new incident" in again.json()["error"]["message"]
    listed = client.get("/v1/admin/incidents", headers=admin).json()["incidents"]
    assert [i["id"] for i in listed] == [incident["id"]]


def test_resolved_incidents_leave_the_public_status_after_a_week(
    client: TestClient, admin: Headers
) -> None:
    old = opened(client, admin)
    store(client).update_incident(old["id"], "resolved", "Fixed.", "root")
    with store(client).engine.begin() as connection:
        week_ago = datetime.now(UTC) - timedelta(days=8)
        connection.exec_driver_sql(
            "UPDATE incidents SET resolved_at = ?", (week_ago.replace(tzinfo=None),)
        )
    assert client.get("/v1/status").json()["resolved"] == []
    assert len(client.get("/v1/admin/incidents", headers=admin).json()["incidents"]) == 1


def test_bad_incidents_get_the_one_error_shape_and_store_nothing(
    client: TestClient, admin: Headers
) -> None:
    for bad in (
        {**FEEDS, "title": ""},
        {**FEEDS, "status": "resolved"},
        {**FEEDS, "areas": ["<img src=x>"]},
        {**FEEDS, "message": "x" * 2001},
        {"title": "No message"},
    ):
        response = client.post("/v1/admin/incidents", json=bad, headers=admin)
        assert response.status_code in (400, 422), (bad, response.text)
        assert set(response.json()["error"]) >= {"code", "message"}
    missing = client.post(
        "/v1/admin/incidents/999/updates", json={"status": "resolved", "message": "x"},
        headers=admin,
    )  # fmt: skip
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/v1/admin/incidents", headers=admin).json()["incidents"] == []


def test_customers_reporting_the_incident_hear_its_status_first(
    client: TestClient, admin: Headers
) -> None:
    incident = opened(client, admin, status="identified")
    chat = start(client, email="pat@example.com")
    reply = say(client, chat, "My bank feed stopped syncing since this morning")
    assert reply["incident"] == {
        "id": incident["id"], "title": "Bank feeds delayed", "status": "identified",
    }  # fmt: skip
    assert reply["answer"].startswith("Known issue (identified): Bank feeds delayed.")
    assert "Known issue" in reply["html"]
    stored = client.get(chat.url(), headers=chat.headers).json()["messages"]
    assert [m["incident"] for m in stored] == [None, incident["id"]]  # read back as told
    other = say(client, start(client), "How do I export a report to CSV?")
    assert other["incident"] is None and "Known issue" not in (other["answer"] or "")


def test_the_status_page_is_served_under_the_page_policy(client: TestClient) -> None:
    page = client.get("/status")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
