"""The knowledge-base review over HTTP: an agent proposes a resolved case, an admin reviews the
candidates, approves (rewording if need be) or rejects, and downloads the export for ingest.
Admin routes take only admin keys."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.server.helpers import Headers, handed_off

RESOLUTION = "Renewed the bank consent under Banking, Connections; the sync works again."
KB_ROUTES = [
    ("get", "/v1/admin/kb/candidates"),
    ("post", "/v1/admin/kb/cases/1/approve"),
    ("post", "/v1/admin/kb/cases/1/reject"),
    ("get", "/v1/admin/kb/export"),
]


def _resolved(client: TestClient, agent: Headers, resolution: str = RESOLUTION) -> int:
    _, case_id = handed_off(client)
    case = f"/v1/agent/cases/{case_id}"
    assert client.post(f"{case}/claim", headers=agent).status_code == 200
    done = client.post(f"{case}/resolve", json={"resolution": resolution}, headers=agent)
    assert done.status_code == 200, done.text
    assert done.json()["kb_status"] == "none"
    return case_id


def _propose(client: TestClient, agent: Headers, case_id: int) -> None:
    proposed = client.post(f"/v1/agent/cases/{case_id}/kb/propose", headers=agent)
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["kb_status"] == "candidate"


@pytest.mark.parametrize(("method", "path"), KB_ROUTES)
def test_the_review_routes_refuse_agent_keys_and_anonymous_callers(
    client: TestClient, agent: Headers, method: str, path: str
) -> None:
    body = {"reason": "x"} if path.endswith("reject") else None
    as_agent = client.request(method.upper(), path, json=body, headers=agent)
    assert as_agent.status_code == 403, as_agent.text
    assert as_agent.json()["error"]["code"] == "forbidden"
    anonymous = client.request(method.upper(), path, json=body)
    assert anonymous.status_code == 401


def test_propose_approve_and_export_over_http(
    client: TestClient, agent: Headers, admin: Headers
) -> None:
    case_id = _resolved(client, agent)
    untouched = _resolved(client, agent)
    _propose(client, agent, case_id)

    listed = client.get("/v1/admin/kb/candidates", headers=admin)
    assert listed.status_code == 200, listed.text
    (candidate,) = listed.json()["cases"]
    assert candidate["id"] == case_id and candidate["resolution"] == RESOLUTION
    assert candidate["resolved_by"] == "alice" and candidate["kb"]["status"] == "candidate"
    assert candidate["kb"]["reviewed_by"] == "alice" and candidate["proposed_problem"]

    edited = "Renew the bank consent under Banking → Connections → Renew, then sync again."
    approved = client.post(
        f"/v1/admin/kb/cases/{case_id}/approve",
        json={"resolution": edited, "problem": "Bank sync stopped"},
        headers=admin,
    )
    assert approved.status_code == 200, approved.text
    kb = approved.json()["kb"]
    assert (kb["status"], kb["reviewed_by"], kb["resolution"], kb["problem"]) == (
        "approved", "root", edited, "Bank sync stopped",
    )  # fmt: skip

    dry = client.get("/v1/admin/kb/export", params={"dry_run": True}, headers=admin)
    assert dry.status_code == 200 and dry.headers["x-answerdesk-cases"] == "1"
    assert dry.headers["content-type"].startswith("application/x-ndjson")
    (record,) = [json.loads(line) for line in dry.text.splitlines()]
    assert (record["id"], record["subject"], record["resolution"]) == (
        f"AD-{case_id}", "Bank sync stopped", edited,
    )  # fmt: skip
    assert RESOLUTION not in dry.text and f"AD-{untouched}" not in dry.text

    exported = client.get("/v1/admin/kb/export", headers=admin)
    assert exported.text == dry.text
    assert client.get("/v1/admin/kb/export", headers=admin).text == ""  # exported once
    again = client.get("/v1/admin/kb/export", params={"all": True}, headers=admin)
    assert again.text == dry.text
    status = client.get("/v1/admin/kb/candidates?status=exported", headers=admin).json()
    assert [c["id"] for c in status["cases"]] == [case_id]


def test_review_refusals_over_http(client: TestClient, agent: Headers, admin: Headers) -> None:
    case_id = _resolved(client, agent)
    approve = f"/v1/admin/kb/cases/{case_id}/approve"
    not_proposed = client.post(approve, headers=admin)
    assert not_proposed.status_code == 409 and "propose it" in not_proposed.text
    _propose(client, agent, case_id)
    short = client.post(approve, json={"resolution": "Fixed."}, headers=admin)
    assert short.status_code == 422 and "at least 5 words" in short.text
    unknown = client.post(approve, json={"resolution": "x", "colour": "red"}, headers=admin)
    assert unknown.status_code == 400

    reject = f"/v1/admin/kb/cases/{case_id}/reject"
    assert client.post(reject, json={"reason": " "}, headers=admin).status_code == 400
    rejected = client.post(reject, json={"reason": "too specific"}, headers=admin)
    assert rejected.status_code == 200 and rejected.json()["kb"]["reason"] == "too specific"
    assert client.get("/v1/admin/kb/export", headers=admin).text == ""
    missing = client.post("/v1/admin/kb/cases/999999/reject", json={"reason": "x"}, headers=admin)
    assert missing.status_code == 404
    bad = client.get("/v1/admin/kb/candidates?status=published", headers=admin)
    assert bad.status_code == 400

    open_case = handed_off(client)[1]
    early = client.post(f"/v1/agent/cases/{open_case}/kb/propose", headers=agent)
    assert early.status_code == 409 and "not resolved" in early.text
