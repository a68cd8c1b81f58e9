"""The admin console's Content section, in Chromium: a gap cluster (three customers asking, in
their own words, what the knowledge base does not answer; one of them resolved by an agent)
turned into a published article that the assistant then cites; publishing it again is refused
until overwritten; the article-use table lists it; the section fits a phone's width."""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import SAMPLE_KB
from tests.e2e.conftest import KEY, PHONE, Pages, _answerdesk
from tests.e2e.test_admin_console import ALLOWED_404, _admin_server, _sign_in

QUILLBOX = (
    "How do I send receipts to Quillbox?",
    "can tallybook push my receipts into quillbox automatically",
    "Is there a Quillbox integration for receipts?",
)
INTAKE = ("pat@example.com", "since Monday", "no error message")
RESOLUTION = (
    "Open Settings → Integrations → Quillbox and press Connect. Tallybook then sends every new "
    "receipt to the Quillbox vault within five minutes."
)
TITLE = "Send receipts to Quillbox"
DOCUMENT = "article:articles/send-receipts-to-quillbox"  # under the folder's articles/
LIVE = "Live: the assistant can now cite it."
REINDEX_S = 300_000  # ms: a re-index on a slow 2-core machine


@dataclass(frozen=True)
class ContentServer:
    url: str
    admin_key: str
    agent_key: str
    team_kb: Path  # ANSWERDESK_PUBLISH_DIR, one of ANSWERDESK_SOURCES


@pytest.fixture(scope="module")
def content_server(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, e2e_index: Path
) -> Iterator[ContentServer]:
    """`answerdesk serve` over the indexed sample plus the team's own (empty, writable) folder,
    where the console publishes; an agent key and an admin key."""
    home = tmp_path_factory.mktemp("content-e2e")
    shutil.copytree(e2e_index, home / "data", ignore=shutil.ignore_patterns("answerdesk.sqlite3*"))
    team_kb = home / "team-kb"
    (team_kb / "articles").mkdir(parents=True)
    env = {
        "ANSWERDESK_DATA_DIR": str(home / "data"),
        "ANSWERDESK_SOURCES": json.dumps([str(SAMPLE_KB), str(team_kb)]),
        "ANSWERDESK_PUBLISH_DIR": str(team_kb),
        # Self-calibration stays on, as it ships: one article among the sample's keeps the
        # calibration (ingest.sync.REFIT_DRIFT), so the re-index takes seconds.
    }
    printed = _answerdesk("keys", "create", "e2e-agent", "--role", "agent", env=env, cwd=home)
    agent = KEY.search(printed)
    assert agent, printed
    for url, admin_key in _admin_server(tmp_path_factory, home, env):
        yield ContentServer(url, admin_key, agent.group(0), team_kb)


# ---------------------------------------------------------------------- the JSON API


def _call(url: str, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        pytest.fail(f"{method} {path} answered {error.code}: {error.read()[:500]!r}")


@dataclass(frozen=True)
class Chat:
    """A customer's conversation through the HTTP API, as the widget holds it."""

    path: str
    token: str


def _start(url: str) -> Chat:
    chat = _call(url, "POST", "/v1/conversations", {}, {"customer": {}})
    return Chat(f"/v1/conversations/{chat['id']}", chat["token"])


def _say(url: str, chat: Chat, text: str) -> dict[str, Any]:
    bearer = {"Authorization": f"Bearer {chat.token}"}
    reply: dict[str, Any] = _call(url, "POST", f"{chat.path}/messages", bearer, {"text": text})
    return reply


def _handed_over(url: str, chat: Chat, reply: dict[str, Any]) -> int:
    """Answers the intake questions until the case opens; its id."""
    for answer in INTAKE:
        if reply["action"] == "handoff":
            break
        reply = _say(url, chat, answer)
    assert reply["action"] == "handoff", reply
    return int(reply["handoff"]["case_id"])


# ---------------------------------------------------------------------- the test


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_gap_cluster_turned_into_a_published_article_that_the_assistant_then_cites(
    pages: Pages, content_server: ContentServer, shot: Callable[[Page, str], Path]
) -> None:
    server = content_server
    pages.allow(ALLOWED_404)
    pages.allow(r"409 .*/v1/admin/articles")  # publishing the same title again, on purpose

    # Three customers ask what the knowledge base does not cover; an agent resolves the first.
    chats = [_start(server.url) for _ in QUILLBOX]
    replies = [_say(server.url, c, q) for c, q in zip(chats, QUILLBOX, strict=True)]
    assert all(r["action"] in ("clarify", "handoff") for r in replies), replies
    case = _handed_over(server.url, chats[0], replies[0])
    agent = {"X-API-Key": server.agent_key}
    _call(server.url, "POST", f"/v1/agent/cases/{case}/claim", agent, {})
    _call(server.url, "POST", f"/v1/agent/cases/{case}/resolve", agent, {"resolution": RESOLUTION})
    gaps = _call(server.url, "GET", "/v1/admin/gaps", {"X-API-Key": server.admin_key})
    assert gaps["questions"] == 3 and gaps["gaps"][0]["conversations"] == 3, gaps

    # The console: the gap ranked first, with its numbers and the customers' own words.
    page = pages.open(f"{server.url}/admin")
    _sign_in(page, server.admin_key)
    section = page.locator("#content")
    expect(page.get_by_role("heading", name="Content", exact=True)).to_be_visible()
    order = "(el) => [el.previousElementSibling.id, el.nextElementSibling.id]"
    assert section.evaluate(order) == ["dashboard", "reindex"]
    expect(page.locator("#gaps-range")).to_contain_text("3 unanswered questions in 1 gap")
    expect(page.locator("#gaps-empty")).to_be_hidden()
    top = page.get_by_role("list", name="Questions the knowledge base did not answer").locator(
        ":scope > li"
    )
    expect(top).to_have_count(len(gaps["gaps"]))
    top = top.first
    expect(top.get_by_role("heading", level=4)).to_have_text(gaps["gaps"][0]["representative"])
    expect(top.get_by_role("heading", level=4)).to_contain_text(re.compile("quillbox", re.I))
    expect(top.locator(".chips > li")).to_have_text(
        ["3 conversations", "1 with an agent's resolution"]
    )
    expect(top.locator(".gap-examples > li")).to_have_count(3)
    shown = top.locator(".gap-examples > li").all_inner_texts()
    assert sorted(shown) == sorted(QUILLBOX), shown
    expect(page.locator("#editor")).to_be_hidden()
    top.scroll_into_view_if_needed()
    shot(page, "admin-content-gaps")

    # Draft an article: the agent's resolution is its body; the title is ours.
    top.get_by_role("button", name=re.compile("^Draft an article")).click()
    expect(page.get_by_role("heading", name="Draft article")).to_be_focused()
    body = page.get_by_label("Body (Markdown)")
    expect(body).to_have_value(re.compile(re.escape(RESOLUTION)))
    expect(page.locator("#draft-note")).to_contain_text(
        "Built from 1 agent resolution (written by extraction"
    )
    expect(page.get_by_label("Title", exact=True)).to_have_value(re.compile("quillbox", re.I))
    page.get_by_label("Title", exact=True).fill(TITLE)
    shot(page, "admin-content-draft")

    # A product area the server would refuse is caught, and said, before asking.
    area = page.get_by_label("Product area")
    area.fill("Receipts & Co")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert").filter(has_text="lower-case letters")).to_be_visible()
    expect(area).to_be_focused()
    expect(area).to_have_attribute("aria-invalid", "true")
    area.fill("")

    # Publish: the file is written, the re-index followed to the end, the article is live.
    page.get_by_role("button", name="Publish").click()
    published = page.locator("#published")
    expect(published).to_be_focused()
    expect(page.locator("#editor")).to_be_hidden()
    expect(page.locator("#publish-status")).to_have_text(LIVE, timeout=REINDEX_S)
    expect(page.locator("#published-message")).to_contain_text("Published")
    expect(published.locator("code")).to_have_text(DOCUMENT)
    progress = page.locator("#publish-progress")
    assert progress.evaluate("(el) => el.value === el.max")
    written = server.team_kb / "articles" / "send-receipts-to-quillbox.md"
    assert written.is_file(), list(server.team_kb.rglob("*"))
    text = written.read_text(encoding="utf-8")
    assert text.startswith(f"---\ntitle: {TITLE}\n") and RESOLUTION in text, text
    row = page.locator(f'#usage-body > tr[data-document="{DOCUMENT}"]')
    expect(row.get_by_role("rowheader")).to_contain_text(TITLE)
    expect(row.locator("td").first).to_have_text("0")  # not cited yet
    expect(row.locator("td").nth(5)).to_have_text("—")  # no resolution rate without a citation
    expect(row.locator(".pill")).to_have_text("Just published")
    published.scroll_into_view_if_needed()
    shot(page, "admin-content-published")
    row.scroll_into_view_if_needed()
    shot(page, "admin-content-usage")

    # The assistant now answers the question, citing the new article.
    chat = _start(server.url)
    after = _say(server.url, chat, QUILLBOX[0])
    assert after["action"] == "answer", after
    assert after["citations"][0]["document_id"] == DOCUMENT, after["citations"]
    assert "Connect" in after["answer"], after["answer"]

    # Refreshed, the table counts that citation.
    page.get_by_role("button", name="Refresh the content gaps and article use").click()
    expect(row.locator("td").first).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text("1")  # its conversation
    expect(row.locator("td").nth(5)).to_have_text("100 %")  # neither handed off nor unhelpful
    links = page.locator("#usage-body a")
    for href in links.evaluate_all("(as) => as.map((a) => a.href)"):
        assert href.startswith(("http://", "https://")), href
    if links.count():
        expect(links.first).to_have_attribute("rel", re.compile(r"\bnoopener\b"))

    # The same title again: refused with the server's message until overwritten.
    page.locator("#gaps > li").first.get_by_role("button", name=re.compile("^Draft")).click()
    page.get_by_label("Title", exact=True).fill(TITLE)
    body.fill(f"{RESOLUTION}\n\nReceipts sent before connecting are not sent.")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert").filter(has_text="already exists")).to_be_visible()
    overwrite = page.get_by_role("button", name="Overwrite")
    expect(overwrite).to_be_focused()
    overwrite.click()
    expect(page.locator("#publish-status")).not_to_have_text(LIVE)  # not the last one's "Live"
    expect(page.locator("#publish-status")).to_have_text(LIVE, timeout=REINDEX_S)
    assert "before connecting" in written.read_text(encoding="utf-8")
    expect(page.get_by_role("alert")).to_have_count(0)  # the 409's message is gone

    # A phone: the gaps, the editor and the table fit the width (the table scrolls inside).
    phone = pages.open(f"{server.url}/admin", viewport=PHONE)
    _sign_in(phone, server.admin_key)
    phone_top = phone.locator("#gaps > li").first
    expect(phone_top).to_contain_text("3 conversations")
    phone_top.scroll_into_view_if_needed()
    _no_sideways_scroll(phone)
    shot(phone, "admin-content-phone")
    phone_top.get_by_role("button", name=re.compile("^Draft")).click()
    expect(phone.get_by_label("Body (Markdown)")).to_have_value(re.compile("Quillbox"))
    _no_sideways_scroll(phone)
    phone.get_by_role("button", name="Cancel").click()
    expect(phone.locator("#editor")).to_be_hidden()
    phone.locator("#usage-h").scroll_into_view_if_needed()
    _no_sideways_scroll(phone)
    shot(phone, "admin-content-phone-usage")


# ---------------------------------------------------------------------- states the sample lacks

STALE_TITLE = "Old <b>export</b> steps"  # shown as text, never as markup
FAKE_USAGE = {
    "since": "2026-01-01",
    "until": "2026-01-30",
    "stale_after_days": 180,
    "articles": [  # the fresh one first: the page lists stale ones first all the same
        {"document_id": "article:fresh", "title": "Fresh", "kind": "article",
         "url": "https://help.example/fresh", "updated_at": "2026-01-02", "citations": 5,
         "conversations": 4, "helpful": 3, "unhelpful": 0, "failed": 0, "resolution_rate": 1.0,
         "stale": False},
        {"document_id": "article:old", "title": STALE_TITLE, "kind": "article",
         "url": "javascript:alert(1)", "updated_at": "2020-01-01", "citations": 3,
         "conversations": 3, "helpful": 0, "unhelpful": 1, "failed": 2,
         "resolution_rate": 1 / 3, "stale": True},
    ],
}  # fmt: skip
NO_GAPS = {"since": "2026-01-01", "until": "2026-01-30", "questions": 0, "gaps": []}


def test_no_gaps_stale_articles_first_and_only_web_addresses_linked(
    pages: Pages, content_server: ContentServer, shot: Callable[[Page, str], Path]
) -> None:
    """The API's answers replaced in the browser: an empty range, and a stale article whose
    address is not a web address."""
    pages.allow(ALLOWED_404)
    page = pages.open(f"{content_server.url}/admin")
    page.route(re.compile(r"/v1/admin/gaps(\?|$)"), lambda route: route.fulfill(json=NO_GAPS))
    page.route(
        re.compile(r"/v1/admin/articles/usage(\?|$)"),
        lambda route: route.fulfill(json=FAKE_USAGE),
    )
    _sign_in(page, content_server.admin_key)
    expect(page.locator("#gaps-empty")).to_have_text(re.compile("^No content gaps in this range"))
    expect(page.locator("#gaps > li")).to_have_count(0)
    expect(page.locator("#gaps-range")).to_contain_text("0 unanswered questions in 0 gaps")
    rows = page.locator("#usage-body > tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_class(re.compile(r"\bstale\b"))
    expect(rows.first.locator(".pill")).to_have_text("Stale")  # said in words, not colour alone
    expect(rows.first.get_by_role("rowheader")).to_contain_text(STALE_TITLE)
    expect(rows.first.locator("a, b")).to_have_count(0)  # javascript: is no link; no markup
    expect(rows.first.locator("td")).to_have_text(["3", "3", "0", "1", "2", "33 %", "2020-01-01"])
    link = rows.nth(1).get_by_role("link", name="Fresh")
    expect(link).to_have_attribute("href", "https://help.example/fresh")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    expect(rows.nth(1).locator("td").nth(5)).to_have_text("100 %")
    page.locator("#content").scroll_into_view_if_needed()
    shot(page, "admin-content-empty-and-stale")
