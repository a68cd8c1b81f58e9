"""Incidents in Chromium: an admin opens one in the console; the widget shows its banner and
answers a customer's matching question with the incident's status first; a hand-off during it
is tagged with it and grouped under it in the agent queue; the public status page lists it;
once the admin resolves it the banner is gone and the status page lists it as resolved."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import SAMPLE_KB
from tests.e2e.conftest import KEY, PHONE, Pages, _answerdesk
from tests.e2e.test_admin_console import ALLOWED_404, _admin_server, _sign_in
from tests.e2e.test_admin_content import _call, _no_sideways_scroll
from tests.e2e.test_web_ui import DETAILS, ask, open_widget, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.server]

Shot = Callable[[Page, str], Path]
TITLE = "Bank feeds delayed"
FIRST = "Bank feeds from every bank are delayed. We are looking into it."
RESOLVED = "Bank feeds are syncing again; missing transactions arrive within the hour."
QUESTION = "My bank feed stopped syncing since this morning, transactions are missing"
HUMAN = "I want to talk to a human agent about my bank feed, it stopped syncing"
ACTIVE = "open,claimed,waiting_on_customer"


@dataclass(frozen=True)
class IncidentServer:
    url: str
    admin_key: str
    agent: str
    agent_key: str


@pytest.fixture(scope="module")
def incident_server(
    chromium: str, tmp_path_factory: pytest.TempPathFactory, e2e_index: Path
) -> Iterator[IncidentServer]:
    """`answerdesk serve` over the indexed sample knowledge base; an agent key and an admin
    key."""
    home = tmp_path_factory.mktemp("incidents-e2e")
    shutil.copytree(e2e_index, home / "data", ignore=shutil.ignore_patterns("answerdesk.sqlite3*"))
    env = {
        "ANSWERDESK_DATA_DIR": str(home / "data"),
        "ANSWERDESK_SOURCES": json.dumps([str(SAMPLE_KB)]),
    }
    printed = _answerdesk("keys", "create", "e2e-agent", "--role", "agent", env=env, cwd=home)
    agent = KEY.search(printed)
    assert agent, printed
    for url, admin_key in _admin_server(tmp_path_factory, home, env):
        yield IncidentServer(url, admin_key, "e2e-agent", agent.group(0))


def _checked_banner(page: Page, checks: int = 1) -> Locator:
    """The widget's incident bar once it has checked the status `checks` times."""
    bar = page.locator(".incidents")
    expect(bar).to_have_attribute("data-checks", str(checks))
    return bar


def _handed_off(page: Page) -> int:
    """Sends the details the assistant asks for until the case opens; its number."""
    status = page.locator(".status")
    for _ in range(3):  # the assistant may ask for missing case details first (at most twice)
        if status.count():
            break
        expect(page.locator(".msg.assistant").last).to_have_class(re.compile("clarify"))
        ask(page, DETAILS)
    expect(status).to_be_visible()
    found = re.search(r"#(\d+)", status.locator(".case").inner_text())
    assert found, status.inner_text()
    return int(found.group(1))


def test_an_incident_is_announced_answered_first_grouped_and_resolved(
    pages: Pages, incident_server: IncidentServer, shot: Shot
) -> None:
    server = incident_server
    admin = {"X-API-Key": server.admin_key}
    pages.allow(ALLOWED_404)

    # The admin opens the incident in the console.
    console = pages.open(f"{server.url}/admin")
    _sign_in(console, server.admin_key)
    expect(console.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    expect(console.locator("#incidents-summary")).to_have_text("No active incident")
    new = console.get_by_role("button", name="Open an incident")
    expect(new).to_have_attribute("aria-expanded", "false")
    new.click()
    form = console.locator("#incident-form")
    expect(form.get_by_label("Incident title")).to_be_focused()
    form.get_by_role("button", name="Open incident").click()  # empty: refused before asking
    expect(form.get_by_role("alert")).to_contain_text("title")
    expect(form.get_by_label("Incident title")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Incident title").fill(TITLE)
    form.get_by_label("Affected areas").fill("banking, ")
    form.get_by_label("Status").select_option("investigating")
    form.get_by_label("First update").fill(FIRST)
    form.get_by_role("button", name="Open incident").click()
    expect(form).to_be_hidden()
    item = console.locator("#incident-list > li")
    expect(item).to_have_count(1)
    expect(item.get_by_role("heading", level=4)).to_have_text(TITLE)
    expect(item.get_by_role("heading", level=4)).to_be_focused()
    expect(item.locator(".pill")).to_have_text("Investigating")
    expect(item).to_contain_text("affects banking")
    expect(item.locator(".timeline > li")).to_have_count(1)
    expect(item.locator(".timeline > li")).to_contain_text(FIRST)
    expect(console.locator("#incidents-status")).to_contain_text("Customers now see it")
    expect(console.locator("#incidents-summary")).to_contain_text("1 active incident")
    incident = int(item.get_attribute("data-incident") or 0)
    listed = _call(server.url, "GET", "/v1/admin/incidents", admin)["incidents"]
    assert [(i["id"], i["title"], i["areas"]) for i in listed] == [(incident, TITLE, ["banking"])]
    shot(console, "incident-admin-opened")

    # The product page: the widget shows the banner, on a desktop and on a phone.
    shop = pages.open(f"{server.url}/")
    open_widget(shop)
    bar = _checked_banner(shop)
    expect(bar).to_have_attribute("role", "status")
    expect(bar.locator(".incident-title")).to_have_text(f"Investigating: {TITLE}")
    expect(bar.locator(".incident-update")).to_have_text(FIRST)
    link = bar.get_by_role("link", name=re.compile("^Status page"))
    expect(link).to_have_attribute("href", f"{server.url}/status")
    shot(shop, "incident-banner")
    phone = pages.open(f"{server.url}/", viewport=PHONE)
    open_widget(phone)
    expect(_checked_banner(phone).locator(".incident-title")).to_contain_text(TITLE)
    _no_sideways_scroll(phone)
    shot(phone, "incident-banner-phone")

    # A customer asks about it: the reply shown opens with the incident's status.
    ask(shop, QUESTION)
    answer = shop.locator(".msg.assistant").last.locator(".text")
    expect(answer).to_have_text(re.compile(rf"^\s*Known issue \(investigating\): {TITLE}\."))
    notice = answer.locator("p.known-issue")
    expect(notice).to_contain_text(FIRST)
    notice.scroll_into_view_if_needed()
    shot(shop, "incident-answer")

    # Another asks for a person: the case is tagged with the incident ...
    human = pages.open(f"{server.url}/")
    open_widget(human)
    ask(human, HUMAN)
    case = _handed_off(human)
    agent = {"X-API-Key": server.agent_key}
    tags = _call(server.url, "GET", f"/v1/agent/cases/{case}", agent)["tags"]
    assert f"incident:{incident}" in tags, tags

    # ... and grouped under it, first in the agent's queue.
    queue = pages.open(f"{server.url}/agent")
    sign_in(queue, server.agent_key, server.agent)
    head = queue.locator(f'#queue-body > tr.group-head[data-incident="{incident}"]')
    expect(head).to_contain_text(f"Incident: {TITLE} · investigating")
    expect(queue.locator(f'#queue-body > tr[data-case="{case}"]')).to_be_visible()
    cases = _call(server.url, "GET", f"/v1/agent/cases?status={ACTIVE}&limit=200", agent)["cases"]
    tagged = {str(c["id"]) for c in cases if f"incident:{incident}" in c["tags"]}
    others = {str(c["id"]) for c in cases} - tagged
    assert str(case) in tagged
    rows = queue.locator("#queue-body > tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.case || (r.dataset.incident ? 'incident' : 'others'))"
    )
    group, rest = rows[1 : 1 + len(tagged)], rows[1 + len(tagged) :]
    assert rows[0] == "incident" and set(group) == tagged, rows
    assert (rest[:1], set(rest[1:])) == ((["others"], others) if others else ([], set())), rows
    expect(head).to_contain_text(f"{len(tagged)} case")
    shot(queue, "incident-agent-queue")

    # The public status page lists it, with its timeline (no author: that is for the team).
    status = pages.open(f"{server.url}/status")
    expect(status.get_by_role("status")).to_have_text("1 active incident")
    active = status.locator("#active-list > li")
    expect(active).to_have_count(1)
    expect(active.get_by_role("heading", level=3)).to_have_text(TITLE)
    expect(active.locator(".pill")).to_have_text("Investigating")
    expect(active).to_contain_text("Affects banking")
    expect(active.locator(".timeline > li")).to_have_count(1)
    expect(active.locator(".timeline > li")).to_contain_text(FIRST)
    expect(active).not_to_contain_text("e2e-admin")
    expect(active.locator("time").first).to_have_text(re.compile(r"\d{1,2}:\d{2}\b.*\S"))
    expect(status.locator("#resolved-empty")).to_be_visible()
    public = _call(server.url, "GET", "/v1/status", {})
    assert [i["id"] for i in public["incidents"]] == [incident], public
    assert all("author" not in u for u in public["incidents"][0]["updates"]), public
    shot(status, "incident-status-page")

    # The admin resolves it.
    item = console.locator(f'#incident-list > li[data-incident="{incident}"]')
    item.get_by_label("Status").select_option("resolved")
    item.get_by_label("Update for customers").fill(RESOLVED)
    item.get_by_role("button", name="Post update").click()
    expect(console.locator("#incidents-status")).to_contain_text(f"Resolved: {TITLE}.")
    expect(console.locator("#incidents-summary")).to_have_text("No active incident")
    expect(console.locator("#incident-list > li")).to_have_count(0)
    console.get_by_text("Resolved incidents (1)").click()
    done = console.locator(f'#resolved-incidents > li[data-incident="{incident}"]')
    expect(done.locator(".pill")).to_have_text("Resolved")
    expect(done.locator(".timeline > li")).to_have_count(2)
    expect(done.locator(".timeline > li").first).to_contain_text(RESOLVED)
    expect(done.locator("form")).to_have_count(0)  # a resolved incident takes no more updates
    done.scroll_into_view_if_needed()
    shot(console, "incident-admin-resolved")

    # After a reload the widget shows no banner; the status page lists it as resolved.
    shop.reload()
    open_widget(shop)
    expect(_checked_banner(shop).locator(".incident")).to_have_count(0)
    expect(shop.locator(".msg.customer", has_text=QUESTION)).to_be_visible()  # the thread stays
    told = shop.locator(".msg.assistant .text p.known-issue")  # what it was told, as it was
    expect(told).to_have_count(1)
    expect(told).to_contain_text(FIRST)
    status.reload()
    expect(status.get_by_role("status")).to_have_text("All systems operational")
    expect(status.locator("#active")).to_be_hidden()
    resolved = status.locator("#resolved-list > li")
    expect(resolved).to_have_count(1)
    expect(resolved.get_by_role("heading", level=3)).to_have_text(TITLE)
    expect(resolved.locator(".pill")).to_have_text("Resolved")
    expect(resolved.locator(".timeline > li").first).to_contain_text(RESOLVED)
    shot(status, "incident-status-resolved")
