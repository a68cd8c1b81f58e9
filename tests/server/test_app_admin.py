"""Admin routes: re-indexing in the serving process, statistics, exports."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from assistant.settings import Settings
from tests.conftest import SAMPLE_KB
from tests.server.helpers import (
    ANSWERABLE,
    HUMAN,
    Headers,
    MakeClient,
    handed_off,
    key,
    runtime,
    say,
    start,
)
from tests.server.nodes import NEW_ARTICLE


def wait_for(client: TestClient, job: str, admin: Headers) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"/v1/admin/reindex/{job}", headers=admin).json()
        if status["status"] != "running":
            return status
        time.sleep(0.2)
    raise AssertionError(f"re-indexing job {job} still running after 60 s")


def test_reindex_runs_in_process_and_the_live_index_serves_the_new_article(
    make_client: MakeClient, app_settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(app_settings.index_dir, data / "index")  # the session's index, privately
    extra = tmp_path / "more-kb" / "articles"
    extra.mkdir(parents=True)
    client = make_client(data_dir=data, sources=[SAMPLE_KB, extra.parent])
    admin = key(client, "root", "admin")
    question = "How do I send receipts to Quillbox?"
    before = say(client, start(client), question)
    assert "Quillbox" not in json.dumps(before["citations"])

    (extra / "quillbox.md").write_text(NEW_ARTICLE)
    started = client.post("/v1/admin/reindex", headers=admin)
    assert started.status_code == 202 and started.json()["status"] == "running"
    done = wait_for(client, started.json()["job"], admin)
    assert done["status"] == "done" and done["error"] is None, done
    assert (done["result"]["added"], done["result"]["deleted"]) == (1, 0)
    assert done["progress"]["done"] == done["progress"]["total"] >= 1

    after = say(client, start(client), question)
    assert after["action"] == "answer", after
    assert after["citations"][0]["document_id"] == "article:articles/quillbox"
    assert "Connect" in after["answer"]


def test_one_reindex_at_a_time(client: TestClient, admin: Headers) -> None:
    reindexer = runtime(client).reindexer
    assert reindexer is not None
    gate = threading.Event()
    real = reindexer._embedder

    def held() -> Any:  # the job waits here until the test lets it go
        gate.wait(30)
        return real()

    reindexer._embedder = held
    first = client.post("/v1/admin/reindex", headers=admin).json()["job"]
    second = client.post("/v1/admin/reindex", headers=admin)
    assert second.status_code == 409 and first in second.json()["error"]["message"]
    assert client.get(f"/v1/admin/reindex/{first}", headers=admin).json()["status"] == "running"
    gate.set()
    assert wait_for(client, first, admin)["status"] == "done"
    assert client.get("/v1/admin/reindex/nope", headers=admin).status_code == 404


def test_stats_count_self_service_handoffs_csat_and_timings(
    client: TestClient, admin: Headers, agent: Headers
) -> None:
    answered = start(client)
    reply = say(client, answered, ANSWERABLE)
    client.post(answered.url("/feedback"), json={"csat": 4}, headers=answered.headers)
    handed, case_id = handed_off(client)
    client.post(handed.url("/feedback"), json={"csat": 1}, headers=handed.headers)
    client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    client.post(f"/v1/agent/cases/{case_id}/reply", json={"text": "Hello!"}, headers=agent)
    start(client)  # silent: not counted in the rates

    stats = client.get("/v1/admin/stats", headers=admin).json()
    assert reply["action"] == "answer"
    assert stats["conversations"] == 3
    assert (stats["self_service_rate"], stats["handoff_rate"]) == (0.5, 0.5)
    assert stats["handoff_by_reason"] == {"human_requested": 1}
    assert stats["csat"] == {"average": 2.5, "count": 2}
    assert stats["median_seconds_to_handoff"] >= 0
    assert stats["median_seconds_to_first_agent_reply"] >= 0
    assert isinstance(stats["content_gaps"], list)


def test_exports_download_every_record_as_jsonl_or_csv(client: TestClient, admin: Headers) -> None:
    chat = start(client, email="=HYPERLINK(evil)")
    say(client, chat, ANSWERABLE)
    client.post(chat.url("/feedback"), json={"helpful": True}, headers=chat.headers)
    handed_off(client)

    jsonl = client.get("/v1/admin/export/conversations?format=jsonl", headers=admin)
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="answerdesk-conversations.jsonl"' in jsonl.headers["content-disposition"]
    conversations = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [c["id"] for c in conversations] == [chat.id, conversations[1]["id"]]
    assert [m["speaker"] for m in conversations[0]["messages"]] == ["customer", "assistant"]

    rows = list(csv.DictReader(io.StringIO(client.get(
        "/v1/admin/export/conversations?format=csv", headers=admin
    ).text)))  # fmt: skip
    assert len(rows) == 4 and rows[0]["message_text"] == ANSWERABLE
    assert rows[0]["customer_email"] == "'=HYPERLINK(evil)"  # not a formula in a spreadsheet

    cases = client.get("/v1/admin/export/cases", headers=admin).text.splitlines()
    [case] = [json.loads(line) for line in cases]
    assert case["status"] == "open" and case["summary"]["handoff_reasons"] == ["human_requested"]
    case_rows = list(csv.DictReader(io.StringIO(client.get(
        "/v1/admin/export/cases?format=csv", headers=admin
    ).text)))  # fmt: skip
    assert case_rows[0]["handoff_reasons"] == "human_requested" and case_rows[0]["title"]

    [feedback] = list(csv.DictReader(io.StringIO(client.get(
        "/v1/admin/export/feedback?format=csv", headers=admin
    ).text)))  # fmt: skip
    assert (feedback["conversation_id"], feedback["helpful"]) == (chat.id, "True")

    assert client.get("/v1/admin/export/secrets", headers=admin).status_code == 400
    assert client.get("/v1/admin/export/cases?format=xml", headers=admin).status_code == 400


def test_a_handoff_to_a_human_is_in_the_stats_once(client: TestClient, admin: Headers) -> None:
    chat = start(client, email="x@example.com")
    say(client, chat, HUMAN)
    say(client, chat, "hello?")  # a second message while queued does not count again
    stats = client.get("/v1/admin/stats", headers=admin).json()
    assert stats["handoff_by_reason"] == {"human_requested": 1} and stats["handoff_rate"] == 1.0


def test_the_dashboard_counts_todays_conversations_with_definitions_and_references(
    client: TestClient, admin: Headers, agent: Headers
) -> None:
    answered = start(client)
    say(client, answered, ANSWERABLE)
    _, case_id = handed_off(client)
    client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    client.post(f"/v1/agent/cases/{case_id}/reply", json={"text": "Hello!"}, headers=agent)

    board = client.get("/v1/admin/dashboard", headers=admin).json()
    figures = {f["key"]: f for f in board["headline"]}
    assert board["conversations"] == 2
    assert (figures["self_service"]["count"], figures["self_service"]["total"]) == (1, 2)
    assert figures["handoff"]["value"] == 0.5 and figures["handoff"]["reference"] == 0.47
    first = figures["first_response_p50"]
    assert first["count"] == 1 and "support hours" in first["definition"]
    assert first["wall_clock"] is not None and first["value"] <= first["wall_clock"]
    assert all(f["definition"] for f in figures.values())
    assert board["handoff_by_reason"] == {"human_requested": 1}
    assert [a["replies"] for a in board["agents"]] == [1]
    assert sum(day["conversations"] for day in board["trend"]) == 2

    earlier = client.get(
        "/v1/admin/dashboard", params={"since": "2020-01-01", "until": "2020-01-31"}, headers=admin
    ).json()
    assert earlier["conversations"] == 0 and earlier["trend"] == []


def test_dashboard_tables_download_as_csv(client: TestClient, admin: Headers) -> None:
    say(client, start(client), ANSWERABLE)
    response = client.get("/v1/admin/dashboard.csv", params={"table": "trend"}, headers=admin)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["conversations"]) for r in rows] == [1]
    headline = client.get("/v1/admin/dashboard.csv", headers=admin).text
    assert headline.startswith("key,label,value") and "self_service" in headline


def test_a_bad_dashboard_range_is_refused_in_the_one_error_shape(
    client: TestClient, admin: Headers, agent: Headers
) -> None:
    backwards = client.get(
        "/v1/admin/dashboard", params={"since": "2026-02-01", "until": "2026-01-01"}, headers=admin
    )
    assert backwards.status_code == 400 and "since" in backwards.json()["error"]["message"]
    too_long = client.get(
        "/v1/admin/dashboard", params={"since": "2020-01-01", "until": "2026-01-01"}, headers=admin
    )
    assert too_long.status_code == 400 and "366" in too_long.json()["error"]["message"]
    not_a_date = client.get("/v1/admin/dashboard", params={"since": "last week"}, headers=admin)
    assert not_a_date.status_code in (400, 422) and "error" in not_a_date.json()
    unknown_table = client.get("/v1/admin/dashboard.csv", params={"table": "x"}, headers=admin)
    assert unknown_table.status_code in (400, 422)
    assert client.get("/v1/admin/dashboard", headers=agent).status_code == 403
