"""Email follow-up in the widget, in a real Chromium against a real `answerdesk serve` that sends
its email to a real SMTP server on loopback (aiosmtpd).

A customer the site did not name leaves an address once a person has the case, closes the page,
gets the agent's reply by email, and continues from the email's link on another device. A link
the server refuses starts afresh with a notice; a customer the site names is not asked.

The demo page names its customer (`data-customer-email` on the widget's tag): the anonymous
customer gets the same page with the tag as a site without sign-in would write it.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, Request, Route, expect

from assistant.mail.links import link_key, sign_link
from tests.conftest import free_port
from tests.e2e.conftest import DESKTOP, KEY, PHONE, SOURCES, Pages, _answerdesk, answerdesk_serve
from tests.e2e.test_web_ui import ask, open_widget
from tests.server.test_app_mail import Mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.server]

Shot = Callable[[Page, str], Path]
AGENT = "sam"
LINK_SECRET = "link-secret-for-the-widget-email-tests"
HUMAN = "My bank feed stopped syncing, get me a human please"
REPLY = "Reconnect the feed under Banking, Connections, and it syncs again."
ANSWER = "Reconnected it and it syncs again, thank you!"
EMAIL = "kim@example.com"
OFFER = "Get the reply by email if you leave:"
EXPIRED = "This link has expired; ask us again here."
DAY = timedelta(days=1)
LINK = re.compile(r"(\S+/\?answerdesk_resume=\S+)")


# ---------------------------------------------------------------- a server that sends email


@dataclass(frozen=True)
class MailDesk:
    url: str
    agent_key: str
    mailbox: Mailbox

    def agent(self, method: str, path: str, body: Any = None) -> Any:
        return call(method, f"{self.url}{path}", body, {"X-API-Key": self.agent_key})

    def mail(self, to: str, subject: str, timeout: float = 20) -> EmailMessage:
        """The newest email to `to` whose subject contains `subject`, once it has arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.mailbox.messages if m["To"] == to and subject in m["Subject"]]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                sent = [(m["To"], m["Subject"]) for m in self.mailbox.messages]
                pytest.fail(f"no email to {to} about {subject!r} in {timeout} s; sent: {sent}")
            time.sleep(0.1)


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def mail_desk(tmp_path_factory: pytest.TempPathFactory, e2e_index: Path) -> Iterator[MailDesk]:
    """`answerdesk serve` over a copy of the e2e index, mailing through aiosmtpd on loopback;
    an agent's reply unseen in the widget for 3 s is emailed."""
    mailbox, smtp_port = Mailbox(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        home = tmp_path_factory.mktemp("e2e-mail")
        data_dir = home / "data"
        shutil.copytree(e2e_index, data_dir, ignore=shutil.ignore_patterns("answerdesk.sqlite3*"))
        port = free_port()
        env = {
            "ANSWERDESK_DATA_DIR": str(data_dir),
            "ANSWERDESK_SOURCES": SOURCES,
            "ANSWERDESK_SMTP_HOST": "127.0.0.1",
            "ANSWERDESK_SMTP_PORT": str(smtp_port),
            "ANSWERDESK_MAIL_UNSEEN_MINUTES": "0.05",
            "ANSWERDESK_WEBHOOK_POLL_SECONDS": "0.1",
            "ANSWERDESK_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "ANSWERDESK_LINK_SECRET": LINK_SECRET,
        }
        printed = _answerdesk("keys", "create", AGENT, "--role", "agent", env=env, cwd=home)
        found = KEY.search(printed)
        assert found, f"`answerdesk keys create` printed no key: {printed!r}"
        server = answerdesk_serve(tmp_path_factory, home, env, "answerdesk-serve-mail", port)
        try:
            yield MailDesk(next(server), found.group(0), mailbox)
        finally:
            server.close()
    finally:
        smtp.stop()


@pytest.fixture
def mail_pages(browser: Browser, mail_desk: MailDesk) -> Iterator[Pages]:
    opened = Pages(browser, mail_desk.url)
    yield opened
    opened.close()
    opened.check()


# ---------------------------------------------------------------- helpers


def _without_customer_email(route: Route) -> None:
    response = route.fetch()
    html = response.text()
    assert "data-customer-email=" in html, "the demo page no longer names its customer"
    route.fulfill(response=response, body=re.sub(r'\s+data-customer-email="[^"]*"', "", html))


def open_anonymous(pages: Pages, path: str = "/", viewport: dict[str, int] = DESKTOP) -> Page:
    """The demo page with the widget's tag as a site without sign-in writes it: no email."""
    page = pages.open("about:blank", viewport=viewport)
    page.route(lambda url: urlsplit(url).path == "/", _without_customer_email)
    page.goto(path)
    return page


def hand_off(page: Page) -> int:
    """The customer asks for a person (handed off at once, no questions first): the case id."""
    open_widget(page)
    ask(page, HUMAN)
    card = page.locator(".status")
    expect(card).to_contain_text("A person will pick this up")
    found = re.search(r"#(\d+)", card.locator(".case").inner_text())
    assert found, card.inner_text()
    return int(found.group(1))


def stored_conversation(page: Page) -> dict[str, Any] | None:
    """What the widget keeps in this tab's sessionStorage: {id, token, ...}, or None."""
    found = page.evaluate(
        "() => { const k = Object.keys(sessionStorage).find((k) => k.endsWith(':conversation'));"
        " return k ? JSON.parse(sessionStorage.getItem(k)) : null; }"
    )
    return found if isinstance(found, dict) else None


# ---------------------------------------------------------------- the round trip


def test_a_customer_who_leaves_gets_the_reply_by_email_and_continues_on_another_device(
    mail_pages: Pages, mail_desk: MailDesk, shot: Shot
) -> None:
    page = open_anonymous(mail_pages)
    case_id = hand_off(page)
    offer = page.get_by_role("form", name="Follow-up by email")
    expect(page.locator(".status + form.email-offer")).to_be_visible()  # under the status card
    field = offer.get_by_label(OFFER)
    expect(field).to_have_attribute("type", "email")
    expect(field).to_have_attribute("autocomplete", "email")
    field.fill(EMAIL)
    shot(page, "11-widget-email-offer")
    field.press("Enter")
    given = page.locator(".email-offer.given")
    expect(given).to_have_text(f"We'll email you at {EMAIL} if you're not here.")
    expect(offer).to_have_count(0)
    expect(page.get_by_role("textbox", name="Your message")).to_be_focused()
    first = stored_conversation(page)
    assert first is not None

    page.reload()  # not asked again
    open_widget(page)
    expect(page.locator(".msg.customer")).to_contain_text(HUMAN)
    expect(given).to_have_text("We'll email you if you're not here.")
    expect(page.locator("form.email-offer")).to_have_count(0)
    page.context.close()  # the customer leaves before anyone answers

    mail_desk.agent("POST", f"/v1/agent/cases/{case_id}/claim")
    mail_desk.agent("POST", f"/v1/agent/cases/{case_id}/reply", {"text": REPLY})
    mail = mail_desk.mail(EMAIL, f"#{case_id}] {AGENT} answered")
    body = mail.get_content()
    assert REPLY in body
    found = LINK.search(body)
    assert found, body
    link = found.group(1)
    assert link.startswith(f"{mail_desk.url}/?answerdesk_resume="), link

    phone = open_anonymous(mail_pages, link, viewport=PHONE)  # another device: nothing stored
    expect(phone.get_by_role("dialog", name="Tallybook support")).to_be_visible()
    reply = phone.locator(".msg.agent")
    expect(reply).to_contain_text(REPLY)
    expect(reply.locator(".who")).to_contain_text(AGENT)
    expect(phone.locator(".msg.customer").first).to_contain_text(HUMAN)
    expect(phone.locator(".status")).to_contain_text("A person from our team has your case")
    expect(phone.locator(".email-offer.given")).to_be_visible()  # the link came by email
    expect(phone.locator("form.email-offer")).to_have_count(0)
    expect(phone.get_by_role("textbox", name="Your message")).to_be_focused()
    assert "answerdesk_resume" not in phone.url, phone.url
    resumed = stored_conversation(phone)
    assert resumed is not None and resumed["id"] == first["id"]
    assert resumed["token"] != first["token"]
    shot(phone, "12-widget-resumed-from-email")

    ask(phone, ANSWER)
    case = mail_desk.agent("GET", f"/v1/agent/cases/{case_id}")
    last = case["transcript"][-1]
    assert (last["speaker"], last["text"]) == ("customer", ANSWER), case["transcript"]


def test_an_address_given_after_the_handoff_gets_the_acknowledgement(mail_desk: MailDesk) -> None:
    started = call("POST", f"{mail_desk.url}/v1/conversations", {"customer": {}})
    chat = f"{mail_desk.url}/v1/conversations/{started['id']}"
    bearer = {"Authorization": f"Bearer {started['token']}"}
    reply = call("POST", f"{chat}/messages", {"text": HUMAN}, bearer)
    assert reply["action"] == "handoff", reply
    call("POST", f"{chat}/email", {"email": "late@example.com"}, bearer)  # as the widget does
    mail_desk.mail("late@example.com", "We have your request", timeout=5)


# ---------------------------------------------------------------- refusals


def test_an_expired_or_forged_link_starts_afresh_with_a_notice(
    mail_pages: Pages, mail_desk: MailDesk, shot: Shot, tmp_path: Path
) -> None:
    mail_pages.allow(r"status of 404")  # the refused link, as the browser logs it
    started = call("POST", f"{mail_desk.url}/v1/conversations", {"customer": {}})
    signing = link_key(LINK_SECRET, tmp_path)
    links = {
        "expired": sign_link(signing, started["id"], datetime.now(UTC) - DAY),
        "forged": sign_link(b"not the server's key", started["id"], datetime.now(UTC) + DAY),
        "garbled": "not-a-link-at-all",
    }
    for name, link in links.items():
        page = open_anonymous(mail_pages, f"/?answerdesk_resume={link}&utm_source=mail#bank")
        notice = page.locator(".notice")
        expect(notice).to_have_text(EXPIRED)
        expect(page.get_by_role("dialog", name="Tallybook support")).to_be_visible()
        expect(page.locator(".msg.assistant")).to_contain_text("Hi! Ask me anything")  # fresh
        expect(page.locator(".msg.customer")).to_have_count(0)
        assert stored_conversation(page) is None, name
        assert urlsplit(page.url)[3:] == ("utm_source=mail", "bank"), (name, page.url)
        if name == "expired":
            shot(page, "13-widget-expired-link")
    # The refused links changed nothing: the conversation's own token still works.
    bearer = {"Authorization": f"Bearer {started['token']}"}
    view = call("GET", f"{mail_desk.url}/v1/conversations/{started['id']}", None, bearer)
    assert view["id"] == started["id"]


def test_the_form_refuses_an_address_and_says_why(mail_pages: Pages) -> None:
    mail_pages.allow(r"status of 400")  # the server's refusal, as the browser logs it
    page = open_anonymous(mail_pages)
    hand_off(page)
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith("/email") else None)
    offer = page.get_by_role("form", name="Follow-up by email")
    field = offer.get_by_label(OFFER)
    error = offer.get_by_role("alert")

    field.fill("kim at example.com")
    offer.get_by_role("button", name="Email me").click()
    expect(error).to_have_text("Enter your email address, like name@example.com.")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    assert sent == [], "checked in the page first"

    field.fill("kim@example")  # looks like an address; the server wants a dot in the domain
    field.press("Enter")
    expect(error).to_have_text("'kim@example' is not an email address we can write to.")
    assert len(sent) == 1
    expect(field).to_be_focused()
    expect(page.locator(".email-offer.given")).to_have_count(0)


def test_a_customer_the_site_names_is_not_offered_email(mail_pages: Pages) -> None:
    page = mail_pages.open("/")  # the demo page: its tag has data-customer-email
    assert page.locator("script[data-answerdesk][data-customer-email]").count() == 1
    hand_off(page)
    expect(page.locator(".status")).to_be_visible()
    expect(page.locator(".email-offer")).to_have_count(0)
    expect(page.get_by_label(OFFER)).to_have_count(0)
