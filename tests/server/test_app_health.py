"""Health, readiness, metrics, CORS and the web UI files."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.errors import AnswerdeskError, ErrorCode
from tests.server.helpers import ANSWERABLE, HUMAN, MakeClient, runtime, say, start


def test_healthz_says_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_the_index_and_the_store(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"index": "ok", "store": "ok"}}

    desk = runtime(client).desk
    assert desk is not None

    def down() -> bool:
        raise AnswerdeskError(ErrorCode.INDEX_UNAVAILABLE, "cannot reach the Chroma index")

    monkeypatch.setattr(desk.assistant.index, "refresh", down)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json() == {
        "status": "not_ready",
        "checks": {"index": "unavailable", "store": "ok"},  # the reason is in the log
    }


def test_metrics_count_requests_by_route_turns_and_handoffs(client: TestClient) -> None:
    chat = start(client)
    say(client, chat, ANSWERABLE)
    say(client, start(client, email="a@example.com"), HUMAN)
    client.get("/no/such/page")
    text = client.get("/metrics").text
    route = "/v1/conversations/{conversation_id}/messages"
    assert (
        f'answerdesk_http_requests_total{{method="POST",route="{route}",status="200"}} 2.0' in text
    )
    assert chat.id not in text  # templates, not paths: one series per route
    assert 'route="unmatched",status="404"' in text
    assert 'answerdesk_http_request_duration_seconds_count{method="POST",route="' in text
    assert 'answerdesk_turns_total{action="answer"} 1.0' in text
    assert 'answerdesk_turns_total{action="handoff"} 1.0' in text
    assert 'answerdesk_handoffs_total{reason="human_requested"} 1.0' in text


def test_each_app_has_its_own_metrics(make_client: MakeClient) -> None:
    first, second = make_client(), make_client()
    first.get("/healthz")
    assert 'route="/healthz"' in first.get("/metrics").text
    assert 'route="/healthz"' not in second.get("/metrics").text


def test_cors_lets_the_configured_origins_embed_the_widget(make_client: MakeClient) -> None:
    client = make_client(cors_origins=["https://shop.example"])
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = client.options(
        "/v1/conversations", headers={"Origin": "https://shop.example", **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    other = client.options(
        "/v1/conversations", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in other.headers
    refused = client.post(
        "/v1/conversations/x/messages",
        json={"text": "hi"},
        headers={"Origin": "https://shop.example"},
    )
    assert refused.status_code == 401  # errors carry the header too, so the widget can read them
    assert refused.headers["access-control-allow-origin"] == "https://shop.example"


@pytest.mark.parametrize(
    ("path", "media_type", "marker"),
    [
        ("/", "text/html", "widget.js"),
        ("/agent", "text/html", "<html"),
        ("/admin", "text/html", "admin.js"),
        ("/widget.js", "text/javascript", "data-answerdesk"),
        ("/static/widget.js", "text/javascript", "data-answerdesk"),
    ],
)
def test_the_web_uis_are_served(
    client: TestClient, path: str, media_type: str, marker: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert marker in response.text


def test_a_missing_static_file_is_a_json_404(client: TestClient) -> None:
    response = client.get("/static/nothing.js")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
