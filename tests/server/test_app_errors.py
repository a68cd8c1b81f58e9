"""Every failure has one JSON shape: {"error": {"code", "message"}}, with the right status."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.server.helpers import Headers, MakeClient, runtime, start


def error_of(response: Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message
    return message


def test_an_unknown_route_is_404_not_found(client: TestClient) -> None:
    message = error_of(client.get("/v1/nothing-here"), 404, "not_found")
    assert "/v1/nothing-here" in message


def test_a_wrong_method_is_405_with_the_allowed_ones(client: TestClient) -> None:
    response = client.delete("/healthz")
    error_of(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


def test_a_bad_body_is_400_invalid_input_naming_the_field(client: TestClient) -> None:
    chat = start(client)
    missing = client.post(chat.url("/messages"), json={}, headers=chat.headers)
    assert "text: Field required" in error_of(missing, 400, "invalid_input")
    blank = client.post(chat.url("/messages"), json={"text": "   "}, headers=chat.headers)
    assert "text" in error_of(blank, 400, "invalid_input")
    extra = client.post(
        chat.url("/messages"), json={"text": "hi", "txet": "typo"}, headers=chat.headers
    )
    assert "txet" in error_of(extra, 400, "invalid_input")


def test_a_body_that_is_not_json_is_400_invalid_input(client: TestClient) -> None:
    chat = start(client)
    response = client.post(
        chat.url("/messages"),
        content=b"{not json",
        headers={**chat.headers, "Content-Type": "application/json"},
    )
    assert "not valid JSON" in error_of(response, 400, "invalid_input")


def test_a_domain_error_keeps_its_code_and_message(client: TestClient, agent: Headers) -> None:
    response = client.get("/v1/agent/cases/999999", headers=agent)
    assert error_of(response, 404, "not_found") == "No case 999999."
    bad_status = client.get("/v1/agent/cases?status=lost", headers=agent)
    assert "open, claimed" in error_of(bad_status, 400, "invalid_input")


def test_an_unexpected_error_is_500_internal_logged_and_not_shown(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    desk = runtime(client).desk
    assert desk is not None

    def broken(*_: object) -> None:
        raise RuntimeError("secret detail: /etc/answerdesk/db-password")

    desk.start = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="answerdesk.server"):
        response = client.post("/v1/conversations")
    message = error_of(response, 500, "internal")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "try again" in message
    assert any("secret detail" in (r.exc_text or "") for r in caplog.records)


def test_the_openapi_document_describes_the_routes_and_the_error_shape(
    make_client: MakeClient,
) -> None:
    spec = make_client().get("/openapi.json").json()
    send = spec["paths"]["/v1/conversations/{conversation_id}/messages"]["post"]
    assert send["summary"] and send["tags"] == ["customer"]
    assert send["responses"]["429"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorOut"
    )
    assert {"ApiKey", "ConversationToken"} <= set(spec["components"]["securitySchemes"])
    assert "/v1/admin/reindex" in spec["paths"] and "/" not in spec["paths"]
