"""Content gaps in the admin API: unanswered questions grouped by meaning, a draft from the
agents' resolutions, and an article published into the knowledge base that answers cite."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from assistant.settings import Settings
from tests.conftest import SAMPLE_KB
from tests.server.helpers import Chat, Headers, MakeClient, key, say, start
from tests.server.test_app_admin import wait_for

QUILLBOX = (
    "How do I send receipts to Quillbox?",
    "can tallybook push my receipts into quillbox automatically",
    "Is there a Quillbox integration for receipts?",
)
RESOLUTION = (
    "Open Settings → Integrations → Quillbox and press Connect. Tallybook then sends every new "
    "receipt to the Quillbox vault within five minutes."
)


def handed_over(client: TestClient, chat: Chat, reply: dict[str, Any]) -> int:
    """Answers the intake questions until the case opens; its id."""
    for answer in ("pat@example.com", "since Monday", "no error message"):
        if reply["action"] == "handoff":
            break
        reply = say(client, chat, answer)
    assert reply["action"] == "handoff", reply
    return int(reply["handoff"]["case_id"])


def test_unanswered_questions_become_a_gap_a_draft_and_a_cited_article(
    make_client: MakeClient, app_settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(app_settings.index_dir, data / "index")
    ours = tmp_path / "team-kb"
    (ours / "articles").mkdir(parents=True)
    client = make_client(data_dir=data, sources=[SAMPLE_KB, ours], publish_dir=ours)
    admin, agent = key(client, "root", "admin"), key(client, "ana", "agent")
    chats = [start(client) for _ in QUILLBOX]
    replies = [say(client, chat, q) for chat, q in zip(chats, QUILLBOX, strict=True)]
    assert all(r["action"] in ("clarify", "handoff") for r in replies), replies
    say(client, start(client), "How do I connect my bank account?")  # answered: no gap
    case = handed_over(client, chats[0], replies[0])
    client.post(f"/v1/agent/cases/{case}/claim", headers=agent)
    resolved = client.post(
        f"/v1/agent/cases/{case}/resolve", json={"resolution": RESOLUTION}, headers=agent
    )
    assert resolved.status_code == 200, resolved.text

    gaps = client.get("/v1/admin/gaps", headers=admin).json()
    assert gaps["questions"] == 3
    top = gaps["gaps"][0]
    assert top["conversations"] == 3 and top["resolved"] == 1, gaps
    assert "quillbox" in top["representative"].lower()

    draft = client.post(
        "/v1/admin/gaps/draft", json={"conversation_ids": top["conversation_ids"]}, headers=admin
    ).json()
    assert draft["sources"] == 1 and "Settings → Integrations → Quillbox" in draft["body"]
    assert draft["written_by"] == "extractive" and "Quillbox" in draft["title"]

    published = client.post(
        "/v1/admin/articles",
        json={"title": "Send receipts to Quillbox", "body": draft["body"]},
        headers=admin,
    )
    assert published.status_code == 201, published.text
    article = published.json()
    assert Path(article["path"]).read_text().startswith("---\ntitle: Send receipts to Quillbox")
    assert wait_for(client, article["job"], admin)["status"] == "done"

    after = say(client, start(client), QUILLBOX[0])
    assert after["action"] == "answer", after
    assert after["citations"][0]["document_id"] == article["document_id"]
    assert "Connect" in after["answer"]

    again = client.post(
        "/v1/admin/articles",
        json={"title": "Send receipts to Quillbox", "body": "x"},
        headers=admin,
    )
    assert again.status_code == 409 and "already exists" in again.json()["error"]["message"]


def test_publishing_refuses_bad_input_and_agents(make_client: MakeClient, tmp_path: Path) -> None:
    client = make_client(publish_dir=tmp_path / "kb")
    admin: Headers = key(client, "root", "admin")
    agent: Headers = key(client, "ana", "agent")
    bad_area = client.post(
        "/v1/admin/articles",
        json={"title": "T", "body": "B", "product_area": "../etc"},
        headers=admin,
    )
    assert bad_area.status_code == 400 and "product area" in bad_area.json()["error"]["message"]
    empty = client.post("/v1/admin/articles", json={"title": " ", "body": "B"}, headers=admin)
    assert empty.status_code == 400
    assert (
        client.post(
            "/v1/admin/articles", json={"title": "T", "body": "B"}, headers=agent
        ).status_code
        == 403
    )
    nothing = client.post(
        "/v1/admin/gaps/draft", json={"conversation_ids": ["nope"]}, headers=admin
    )
    assert nothing.status_code == 404
    assert list((tmp_path / "kb").glob("**/*.md")) == []
