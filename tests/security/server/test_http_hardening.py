"""Small hostile requests against the real app: oversized ids and headers, tags without end,
formulas in exports, a dead database's details, and the headers that tell a browser what a
page may load and who may frame it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.exports import render
from server.headers import API_CSP, DOCS_CSP, PAGE_CSP
from server.limits import MAX_HEADER_BYTES
from server.schemas import MAX_TAGS_PER_CASE
from tests.conftest import postgres_schema
from tests.server.helpers import Headers, MakeClient, handed_off, key, start

TOO_BIG = 2**63  # one more than the largest 64-bit row id
HUGE = 10**40


def assert_error_shape(response: object, status: int, code: str) -> None:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", "")
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert "Traceback" not in body["error"]["message"]


# --- ids above 2**63 - 1 -----------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def store_client(request: pytest.FixtureRequest, make_client: MakeClient) -> Iterator[TestClient]:
    if request.param == "sqlite":
        yield make_client()
    else:
        for url in postgres_schema("security"):
            yield make_client(database_url=url)


@pytest.mark.parametrize("number", [TOO_BIG, HUGE, 0, -1])
def test_case_ids_no_row_can_have_are_404_in_the_error_shape(
    store_client: TestClient, number: int
) -> None:
    agent = key(store_client, "alice")
    for method, path in [
        ("GET", f"/v1/agent/cases/{number}"),
        ("POST", f"/v1/agent/cases/{number}/claim"),
        ("GET", f"/v1/agent/cases/{number}/saved-replies"),
    ]:
        response = store_client.request(method, path, headers=agent)
        assert_error_shape(response, 404, "not_found")


def test_ids_in_bodies_above_the_row_range_are_invalid_input(store_client: TestClient) -> None:
    agent = key(store_client, "alice")
    chat, case_id = handed_off(store_client)
    merge = store_client.post(
        f"/v1/agent/cases/{case_id}/merge", json={"into": TOO_BIG}, headers=agent
    )
    assert_error_shape(merge, 400, "invalid_input")
    feedback = store_client.post(
        chat.url("/feedback"), json={"helpful": True, "message_id": HUGE}, headers=chat.headers
    )
    assert_error_shape(feedback, 400, "invalid_input")
    assert store_client.get(f"/v1/agent/cases/{case_id}", headers=agent).status_code == 200


# --- 503s and readiness keep the database's whereabouts to the log --------------------------

SECRET_DB = "postgresql+psycopg://dbadmin_x9:pw@127.0.0.1:1/tenant_db_x9"


def test_a_dead_database_is_503_without_its_user_host_port_or_name(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(database_url=SECRET_DB)
    responses = [
        client.post("/v1/conversations", json={}),
        client.get("/v1/agent/me", headers={"X-API-Key": "adk_whatever"}),
        client.get("/readyz"),
    ]
    for response in responses:
        assert response.status_code == 503
        for secret in ("dbadmin_x9", "127.0.0.1", ":1", "tenant_db_x9", "postgresql"):
            assert secret not in response.text, (secret, response.text)
    assert_error_shape(responses[0], 503, "store_unavailable")
    assert "127.0.0.1:1/tenant_db_x9" in caplog.text  # the operator still learns where


# --- tags --------------------------------------------------------------------------------


def test_tags_have_size_and_count_limits(client: TestClient, agent: Headers) -> None:
    _, case_id = handed_off(client)
    url = f"/v1/agent/cases/{case_id}/tags"
    assert_error_shape(
        client.post(url, json={"add": ["x" * 51]}, headers=agent), 400, "invalid_input"
    )
    assert_error_shape(client.post(url, json={"add": ["  "]}, headers=agent), 400, "invalid_input")
    many = [f"t{i}" for i in range(21)]
    assert_error_shape(client.post(url, json={"add": many}, headers=agent), 400, "invalid_input")
    room = MAX_TAGS_PER_CASE - len(
        client.get(f"/v1/agent/cases/{case_id}", headers=agent).json()["tags"]
    )
    for start_at in range(0, room, 10):
        batch = [f"tag-{i}" for i in range(start_at, min(room, start_at + 10))]
        assert client.post(url, json={"add": batch}, headers=agent).status_code == 200
    tags = client.get(f"/v1/agent/cases/{case_id}", headers=agent).json()["tags"]
    assert len(tags) == MAX_TAGS_PER_CASE
    over = client.post(url, json={"add": ["one-too-many"]}, headers=agent)
    assert_error_shape(over, 413, "too_large")
    swap = client.post(url, json={"add": ["new"], "remove": [tags[0]]}, headers=agent)
    assert swap.status_code == 200  # at the limit, replacing a tag still works


# --- CSV exports -------------------------------------------------------------------------

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")']


def test_csv_export_cells_never_start_a_formula() -> None:
    records = [{"id": i, "comment": text} for i, text in enumerate(FORMULAS)]
    rows = list(csv.DictReader(io.StringIO("".join(render("feedback", "csv", records)))))
    assert [row["comment"] for row in rows] == ["'" + text for text in FORMULAS]


def test_the_export_route_neutralises_a_customers_formula(
    client: TestClient, admin: Headers
) -> None:
    chat = start(client)
    client.post(
        chat.url("/feedback"), json={"helpful": False, "comment": "\t=cmd|' /C calc'!A0"},
        headers=chat.headers,
    )  # fmt: skip
    text = client.get("/v1/admin/export/feedback?format=csv", headers=admin).text
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["comment"].startswith("'") and row["comment"].endswith("=cmd|' /C calc'!A0")


# --- headers -----------------------------------------------------------------------------


def test_pages_allow_only_their_own_origin_and_are_never_framed(client: TestClient) -> None:
    for path in ("/", "/agent"):
        response = client.get(path)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert csp == PAGE_CSP
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
        assert "http" not in csp and "unsafe" not in csp  # no CDN, nothing inline
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    page = client.get("/").text
    assert "<style" not in page and "style=" not in page and "<script>" not in page


def test_the_api_its_errors_and_static_files_carry_the_headers_too(
    client: TestClient, agent: Headers
) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/v1/agent/cases", headers=agent),
        client.get("/v1/agent/cases"),  # 401
        client.get("/no/such/route"),  # 404
        client.get("/widget.js"),
        client.get("/static/agent.css"),
    ):
        assert response.headers["content-security-policy"] == API_CSP, response.url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    docs = client.get("/docs")
    assert docs.headers["content-security-policy"] == DOCS_CSP
    assert "https:" not in DOCS_CSP  # the explorer loads nothing from another site


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_explorer_is_served_by_the_app_itself(client: TestClient, page: str) -> None:
    html = client.get(page)
    assert html.status_code == 200 and "cdn.jsdelivr" not in html.text
    assets = re.findall(r'(?:src|href)="(/static-offline-docs/[^"]+)"', html.text)
    assert any(a.endswith(".js") for a in assets), html.text
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


# --- request headers ---------------------------------------------------------------------


def test_oversized_request_headers_are_refused_in_the_app(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Big": "a" * (16 * 1024 * 1024)})
    assert_error_shape(response, 431, "too_large")
    many = {f"X-H{i}": "b" * 100 for i in range(MAX_HEADER_BYTES // 100)}
    assert_error_shape(client.get("/healthz", headers=many), 431, "too_large")
    assert client.get("/healthz", headers={"X-Fine": "c" * 4000}).status_code == 200
