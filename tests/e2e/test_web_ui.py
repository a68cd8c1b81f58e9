"""The web UIs in a real headless Chromium against the real server: a customer on the demo page
asks through the widget, is handed off, and an agent works the case in the console.

The hand-off story is shared: the module-scoped `handoff` fixture opens the case once; each
test that needs a later step (a claim, a reply) makes sure it happened, through the API when
the test that does it in the browser was not run.
"""

from __future__ import annotations

import re
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, LiveServer, Pages

pytestmark = [pytest.mark.e2e, pytest.mark.server]

Shot = Callable[[Page, str], Path]
# The help center answers it with numbered steps (the widget renders the list). How well the
# assistant answers is measured by the golden set (`make eval`), not here.
ANSWERABLE = "How do I set up recurring invoices?"
OUT_OF_SCOPE = "Can you recommend a good pizza place in Rome?"
# On topic, and the help center is silent on it.
UNANSWERABLE = "Can I use Tallybook to manage my warehouse inventory and stock levels?"
# What a customer answers when the assistant asks for case details before handing off.
DETAILS = "I'm Ana from Lisbon Bakery, ana@lisbonbakery.example, on the Pro plan. Nothing else."
AGENT_REPLY = "Hi Ana, Sam from Tallybook here. We can only help with Tallybook itself, sorry!"
NOTE = "Internal: pizza question, nothing to fix in the product."


# ---------------------------------------------------------------- helpers


def open_widget(page: Page) -> None:
    page.get_by_role("button", name="Open support chat").click()
    expect(page.get_by_role("textbox", name="Your message")).to_be_focused()


def turns(page: Page) -> int:
    return int(page.locator(".log").get_attribute("data-turns") or 0)


def ask(page: Page, text: str) -> None:
    """Type and send with Enter, then wait until the reply (or an error) is shown."""
    done = turns(page) + 1
    page.get_by_role("textbox", name="Your message").fill(text)
    page.keyboard.press("Enter")
    expect(page.locator(f'.log[data-turns="{done}"]')).to_be_attached(timeout=45_000)
    expect(page.locator(".notice")).to_be_hidden()


def sign_in(page: Page, key: str, name: str) -> None:
    page.get_by_label("API key").fill(key)
    page.keyboard.press("Enter")
    expect(page.locator("#me-name")).to_have_text(name)


@dataclass
class Handoff:
    page: Page
    case_id: int
    server: LiveServer

    def case(self) -> dict[str, Any]:
        return dict(self.server.api("GET", f"/v1/agent/cases/{self.case_id}", self.agent_key))

    @property
    def agent_key(self) -> str:
        return self.server.agent_key

    def ensure_claimed(self) -> None:
        if self.case()["claimed_by"] is None:
            self.server.api("POST", f"/v1/agent/cases/{self.case_id}/claim", self.agent_key)

    def ensure_replied(self) -> None:
        if not any(m["speaker"] == "agent" for m in self.case()["transcript"]):
            self.ensure_claimed()
            body = {"text": AGENT_REPLY, "wait_for_customer": True}
            self.server.api("POST", f"/v1/agent/cases/{self.case_id}/reply", self.agent_key, body)


@pytest.fixture(scope="module")
def handoff(browser: Browser, live_server: LiveServer) -> Iterator[Handoff]:
    """A customer asks what the help center cannot answer, gives the details the assistant asks
    for, and is handed off: the page stays open for the later steps."""
    tab = Pages(browser, live_server.url)
    page = tab.open("/")
    open_widget(page)
    ask(page, OUT_OF_SCOPE)
    status = page.locator(".status")
    for _ in range(3):  # the assistant may ask for missing case details first (at most twice)
        if status.count():
            break
        expect(page.locator(".msg.assistant").last).to_have_class(re.compile("clarify"))
        ask(page, DETAILS)
    expect(status).to_be_visible()
    case_text = status.locator(".case").inner_text()
    found = re.search(r"#(\d+)", case_text)
    assert found, case_text
    yield Handoff(page, int(found.group(1)), live_server)
    tab.close()
    tab.check()


# ---------------------------------------------------------------- the customer


def test_customer_gets_an_answer_with_citation_links(pages: Pages, shot: Shot) -> None:
    page = pages.open("/")
    open_widget(page)
    with page.expect_response(re.compile(r"/messages$")) as sent:
        ask(page, ANSWERABLE)
    assert sent.value.headers["content-type"].startswith("text/event-stream"), "streamed"

    answer = page.locator(".msg.assistant").last
    expect(answer).not_to_have_class(re.compile("clarify"))
    expect(answer.locator("ol li").first).to_be_visible()  # steps stay a numbered list
    sources = answer.locator(".sources a")
    expect(sources.first).to_be_visible()
    assert sources.first.get_attribute("target") == "_blank"
    assert (sources.first.get_attribute("href") or "").startswith("http")
    assert sources.first.inner_text().strip(), "a citation link shows the article title"
    expect(page.locator(".status")).to_have_count(0)

    answer.get_by_role("button", name="This answer helped").click()
    expect(answer.get_by_role("status")).to_have_text(re.compile("Thanks"))
    shot(page, "01-answer-with-citations")

    page.reload()  # the thread lives in sessionStorage: a reload keeps it
    open_widget(page)
    expect(page.locator(".msg.customer", has_text=ANSWERABLE)).to_be_visible()
    expect(page.locator(".msg.assistant .sources a").first).to_be_visible()


def test_out_of_scope_question_ends_in_a_handoff_with_expected_wait(
    handoff: Handoff, shot: Shot
) -> None:
    card = handoff.page.locator(".status")
    expect(card).to_contain_text("A person will pick this up")
    expect(card.locator(".wait")).to_have_text(re.compile(r"\w"))
    expect(card).to_contain_text("already have a summary")
    # Out of scope: no "closest articles" — they would be about something else entirely.
    expect(handoff.page.locator(".msg.assistant .unsure")).to_have_count(0)
    shot(handoff.page, "02-handoff-status-card")


def test_a_question_the_help_center_cannot_answer_gets_an_honest_not_sure(
    pages: Pages, shot: Shot
) -> None:
    page = pages.open("/")
    open_widget(page)
    ask(page, UNANSWERABLE)
    unsure = page.locator(".msg.assistant .unsure")  # honest: not sure, closest articles
    expect(unsure.first).to_contain_text("I'm not sure")
    expect(unsure.first.get_by_role("link").first).to_have_attribute("target", "_blank")
    expect(page.locator(".status")).to_contain_text("A person will pick this up")
    shot(page, "02b-not-sure-with-closest-articles")


# ---------------------------------------------------------------- the agent


def test_agent_opens_the_case_summary_first_claims_and_replies(
    handoff: Handoff, pages: Pages, shot: Shot, live_server: LiveServer
) -> None:
    page = pages.open("/agent")
    sign_in(page, live_server.agent_key, live_server.agent)

    row = page.locator(f'#queue-body tr[data-case="{handoff.case_id}"]')
    expect(row).to_be_visible()
    headers = page.locator("#queue-table th").all_inner_texts()
    assert [h.lower() for h in headers] == [
        "priority", "title", "category", "queue", "waiting", "status", "claimed by",
    ]  # fmt: skip
    shot(page, "03-agent-queue")
    row.get_by_role("link").click()

    summary = page.locator("#summary")
    expect(summary).to_contain_text("Issue")
    expect(summary).to_contain_text("ana@lisbonbakery.example")
    expect(summary).to_contain_text("plan: pro")
    transcript = page.locator("#transcript")
    expect(transcript.locator("li.customer").first).to_contain_text(OUT_OF_SCOPE)
    summary_box, transcript_box = summary.bounding_box(), transcript.bounding_box()
    assert summary_box and transcript_box
    assert summary_box["y"] + summary_box["height"] <= transcript_box["y"], "summary first"

    draft = handoff.case()["summary"].get("draft_reply")
    if draft:  # the assistant's draft is in the reply box, ready to edit
        expect(page.get_by_label(re.compile("^Reply"))).to_have_value(draft)

    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#case-status")).to_have_text("You claimed this case.")
    expect(page.locator("#case-meta")).to_contain_text(f"claimed by {live_server.agent}")

    page.get_by_label(re.compile("^Reply")).fill(AGENT_REPLY)
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#case-status")).to_have_text("Reply sent to the customer.")
    expect(transcript.locator("li.agent")).to_contain_text(AGENT_REPLY)

    page.get_by_label(re.compile("^Note")).fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    note = transcript.locator("li.note")
    expect(note).to_contain_text(NOTE)
    expect(note.locator(".meta")).to_contain_text(f"Internal note · {live_server.agent}")
    shot(page, "04-agent-case-replied")


def test_customer_sees_the_agent_reply_in_the_same_thread(handoff: Handoff, shot: Shot) -> None:
    handoff.ensure_replied()
    page = handoff.page
    reply = page.locator(".msg.agent").last
    expect(reply).to_contain_text(AGENT_REPLY, timeout=20_000)  # the widget polls
    expect(reply.locator(".who")).to_contain_text("e2e-agent")
    expect(page.locator(".status")).to_contain_text("has your case")
    expect(page.locator(".log")).not_to_contain_text(NOTE)  # notes never reach the customer
    # No rating while the case is still open: it is asked for once the case is resolved.
    expect(page.get_by_role("group", name=re.compile("rate"))).to_have_count(0)
    shot(page, "05-customer-sees-agent-reply")


def test_the_api_explorer_renders_without_internet(pages: Pages, shot: Shot) -> None:
    page = pages.open("/docs")  # this machine reaches no CDN: every asset comes from the app
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("/v1/conversations", exact=True).first).to_be_visible()
    shot(page, "10-api-explorer-offline")


def test_agent_console_refuses_a_wrong_key(pages: Pages, live_server: LiveServer) -> None:
    pages.allow(r"status of 401")
    page = pages.open("/agent")
    page.get_by_label("API key").fill("adk_not-a-real-key")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="not accepted")).to_be_visible()
    expect(page.locator("#queue")).to_be_hidden()
    expect(page.get_by_label("API key")).to_be_focused()


def test_second_agent_is_warned_the_case_is_claimed(
    handoff: Handoff, pages: Pages, shot: Shot, live_server: LiveServer
) -> None:
    handoff.ensure_claimed()
    pages.allow(r"status of 409")  # the refused claim, logged by the browser
    page = pages.open(f"/agent#case-{handoff.case_id}")
    sign_in(page, live_server.other_agent_key, live_server.other_agent)

    warning = page.locator("#claim-warning")
    expect(warning).to_contain_text(f"{live_server.agent} already claimed this case")
    page.get_by_role("button", name="Claim").click()
    expect(warning).to_contain_text(f"already claimed by {live_server.agent}")
    shot(page, "06-second-agent-warning")


def test_reply_with_an_unfilled_placeholder_is_refused(
    handoff: Handoff, pages: Pages, shot: Shot, live_server: LiveServer
) -> None:
    page = pages.open(f"/agent#case-{handoff.case_id}")
    sign_in(page, live_server.agent_key, live_server.agent)
    box = page.get_by_label(re.compile("^Reply"))
    expect(page.locator("#summary")).to_contain_text("Issue")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/reply") else None)

    saved = page.get_by_label("Saved replies")
    expect(saved).to_have_attribute("data-loaded", str(handoff.case_id))
    unfilled = saved.locator("option", has_text="fill in:")
    box.fill("")
    if unfilled.count():  # a saved reply the case could not fill in
        saved.select_option(unfilled.first.get_attribute("value"))
    else:
        box.fill("Your invoice {{invoice_number}} is corrected.")
    page.get_by_role("button", name="Send reply").click()

    warning = page.locator("#placeholder-message")
    expect(warning).to_contain_text("Fill in {{")
    expect(page.locator("#reply-preview mark").first).to_have_text(re.compile(r"^\{\{.+\}\}$"))
    expect(box).to_have_attribute("aria-invalid", "true")
    assert not sent, "the UI sent a reply that still has a placeholder"
    shot(page, "07-placeholder-refused")

    with pytest.raises(urllib.error.HTTPError) as refused:  # the server refuses it too
        body = {"text": "Hi {{customer_name}}"}
        live_server.api("POST", f"/v1/agent/cases/{handoff.case_id}/reply", handoff.agent_key, body)
    assert refused.value.code == 422

    box.fill("All fixed now.")
    expect(page.locator("#placeholder-warning")).to_be_hidden()


# ---------------------------------------------------------------- keyboard and phone


def test_the_customer_is_asked_for_a_rating_once_the_case_is_resolved(
    handoff: Handoff, shot: Shot
) -> None:
    handoff.ensure_replied()
    body = {"resolution": "Explained that the help center does not cover restaurants."}
    path = f"/v1/agent/cases/{handoff.case_id}/resolve"
    handoff.server.api("POST", path, handoff.agent_key, body)
    page = handoff.page
    csat = page.get_by_role("group", name=re.compile("rate"))
    expect(csat).to_be_visible(timeout=20_000)  # the widget polls
    expect(csat).to_contain_text("resolved")
    csat.get_by_role("button", name="5 out of 5").click()
    expect(csat.get_by_role("button", name="5 out of 5")).to_have_attribute("aria-pressed", "true")
    expect(csat.get_by_role("status")).to_have_text("Thank you for rating us.")
    assert handoff.case()["status"] == "resolved"
    shot(page, "09-customer-rates-a-resolved-case")


def test_keyboard_only_on_a_phone_screen(pages: Pages, shot: Shot) -> None:
    page = pages.open("/", viewport=PHONE)
    launcher = page.get_by_role("button", name="Open support chat")
    for _ in range(25):
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el.getRootNode().activeElement === el"):
            break
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Your message")
    expect(box).to_be_focused()

    page.keyboard.type("How do I set up")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    page.keyboard.type("recurring invoices?")
    expect(box).to_have_value("How do I set up\nrecurring invoices?")
    page.keyboard.press("Enter")
    expect(page.locator('.log[data-turns="1"]')).to_be_attached(timeout=45_000)
    expect(page.locator(".msg.assistant").last.locator(".sources a").first).to_be_visible()
    expect(box).to_be_focused()

    panel = page.get_by_role("dialog", name="Tallybook support")
    assert panel.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 667}, "full screen"
    shot(page, "08-phone-375x667")

    page.keyboard.press("Escape")  # closing asks once for a rating...
    expect(page.get_by_role("button", name="1 out of 5")).to_be_focused()
    page.keyboard.press("Escape")  # ...and closes the second time
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
