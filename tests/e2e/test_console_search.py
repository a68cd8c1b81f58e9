"""The agents' console, searching and context, in Chromium: the search box above the queue finds
a case by a word its customer wrote (results in the queue list's place, Clear brings the queue
back, `/` focuses the box, a 400 shows the server's message); a verified customer's earlier
cases are listed in the case view (hidden for an unverified one); and while the agent types a
reply on a case they hold, the customer's widget says "An agent is typing…".

Cases come from the customer API, as the widget makes them. The earlier cases need a verified
customer, so a context signed with the identity secret: that test runs its own server, started
with ANSWERDESK_IDENTITY_SECRET (the shared one has none).
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from assistant.identity import sign
from assistant.store.protocol import Customer
from tests.e2e.conftest import KEY, SOURCES, LiveServer, Pages, _answerdesk, answerdesk_serve
from tests.e2e.test_console_live import Chat, console, hand_off, row, say
from tests.e2e.test_web_ui import open_widget, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.server]

Shot = Callable[[Page, str], Path]
HUMAN = "get me a human please"
SECRET = "e2e-identity-secret"
TYPING = "An agent is typing…"
WIDGET_POLL_MS = 10_000  # the widget polls every 4 s: a few polls' worth


def word() -> str:
    """A word no other case holds, so a search for it finds one case."""
    return f"zq{uuid.uuid4().hex[:10]}"


def search(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox", name="Search cases")
    box.fill(text)
    box.press("Enter")


def results(page: Page) -> list[int]:
    return [int(n) for n in page.locator("#search-body tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.case)"
    )]  # fmt: skip


def refusal(server: LiveServer, q: str) -> str:
    """The error message the server answers a search for `q` with (it must refuse it)."""
    request = urllib.request.Request(
        f"{server.url}/v1/agent/cases/search?q={urllib.parse.quote(q)}",
        headers={"X-API-Key": server.agent_key},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400
    error = json.loads(refused.value.read())["error"]
    assert error["code"] == "invalid_input" and error["message"], error
    return str(error["message"])


# ---------------------------------------------------------------- search


def test_search_finds_a_case_by_a_word_its_customer_wrote(
    pages: Pages, live_server: LiveServer, shot: Shot
) -> None:
    server = live_server
    first, second = hand_off(server), hand_off(server)
    mine, theirs = word(), word()
    say(server, first, f"My invoice export shows the code {mine} and stops.")
    say(server, second, f"The bank feed says {theirs} since this morning.")
    server.api("POST", f"/v1/agent/cases/{second.case}/claim", server.agent_key)
    server.api("POST", f"/v1/agent/cases/{second.case}/resolve", server.agent_key,
               {"resolution": "Reconnected the bank feed."})  # fmt: skip

    page = console(pages, server.agent_key, server.agent)
    expect(row(page, first.case)).to_be_visible()
    queue = page.locator("#queue-list")

    search(page, mine)
    expect(page.locator("#search-h")).to_have_text(f"1 result for “{mine}”")
    assert results(page) == [first.case]  # the other word's case is not among them
    expect(queue).to_be_hidden()
    shot(page, "console-search-results")

    # A resolved case is found too, and shows its status.
    search(page, theirs)
    expect(page.locator("#search-h")).to_have_text(f"1 result for “{theirs}”")
    assert results(page) == [second.case]
    expect(page.locator("#search-body tr").first).to_contain_text("resolved")

    # By its number, and nothing for a word nobody wrote.
    search(page, f"#{first.case}")
    expect(page.locator("#search-h")).to_have_text(f"1 result for “#{first.case}”")
    assert results(page) == [first.case]
    nobody = word()
    search(page, nobody)
    expect(page.locator("#search-h")).to_have_text(f"0 results for “{nobody}”")
    expect(page.locator("#search-empty")).to_be_visible()

    # A result opens its case like a queue row; back on the queue the results are still there.
    search(page, mine)
    expect(page.locator("#search-h")).to_have_text(f"1 result for “{mine}”")
    page.locator("#search-body tr").first.get_by_role("link").click()
    expect(page.locator("#case-title")).to_contain_text(f"#{first.case}")
    expect(page.locator("#transcript li.customer").last).to_contain_text(mine)
    page.get_by_role("link", name="Back to the queue").click()
    expect(page.locator("#search-results")).to_be_visible()
    assert results(page) == [first.case]

    # Clear: the queue list comes back, the box is empty.
    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#search-results")).to_be_hidden()
    expect(queue).to_be_visible()
    expect(row(page, first.case)).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search cases")).to_have_value("")


def test_slash_focuses_the_search_box_and_an_empty_search_shows_the_servers_error(
    pages: Pages, live_server: LiveServer
) -> None:
    pages.allow(r"status of 400")  # the refused search, as the browser logs it
    server = live_server
    page = pages.open("/agent")
    sign_in(page, server.agent_key, server.agent)
    box = page.get_by_role("searchbox", name="Search cases")
    expect(page.locator("#queue-h")).to_be_focused()
    expect(box).not_to_be_focused()

    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")  # the key focused the box, it typed nothing

    box.press("Enter")  # empty: the server refuses it and says why
    error = page.locator("#search-error")
    expect(error).to_have_text(refusal(server, ""))
    expect(page.locator("#search-results")).to_be_hidden()

    # The help dialog lists the key.
    box.press("Escape")
    page.keyboard.press("?")
    expect(page.locator("#help")).to_contain_text("Search cases")
    expect(page.locator("#help kbd", has_text="/")).to_be_visible()
    page.keyboard.press("Escape")

    # From a case view, `/` goes back to the queue with the box focused.
    chat = hand_off(server)
    page.goto(f"/agent#case-{chat.case}")
    expect(page.locator("#case-title")).to_contain_text(f"#{chat.case}")
    page.locator("#case-title").focus()
    page.keyboard.press("/")
    expect(page.locator("#queue")).to_be_visible()
    expect(page.locator("#case")).to_be_hidden()
    expect(box).to_be_focused()
    page.wait_for_timeout(500)  # the queue's reload does not take the focus back
    expect(box).to_be_focused()


# ---------------------------------------------------------------- typing


def test_the_customers_widget_shows_the_agent_typing(pages: Pages, live_server: LiveServer) -> None:
    server = live_server
    widget = pages.open("/")
    open_widget(widget)
    widget.get_by_role("textbox", name="Your message").fill(HUMAN)
    widget.keyboard.press("Enter")
    card = widget.locator(".status .case")
    expect(card).to_have_text(re.compile(r"Case #\d+"), timeout=45_000)
    found = re.search(r"#(\d+)", card.inner_text())
    assert found
    case = int(found.group(1))
    server.api("POST", f"/v1/agent/cases/{case}/claim", server.agent_key)

    page = console(pages, server.agent_key, server.agent)
    page.goto(f"/agent#case-{case}")
    expect(page.locator("#case-meta")).to_contain_text(f"claimed by {server.agent}")
    typing = widget.locator("p.typing")
    widget.wait_for_timeout(5_000)  # a poll or more of the widget's: nobody types yet
    expect(typing).to_have_count(0)

    with page.expect_request(re.compile(rf"/v1/agent/cases/{case}/typing$")):
        page.get_by_label(re.compile("^Reply")).press_sequentially("Hello, looking at it", delay=20)
    expect(typing).to_have_text(TYPING, timeout=WIDGET_POLL_MS)


# ---------------------------------------------------------------- earlier cases


def _post(url: str, path: str, body: Any, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(body).encode(), method="POST", headers=headers
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def customer_hand_off(url: str, customer: dict[str, str], text: str, signed: bool = True) -> int:
    """A hand-off by a customer whose context the site signed (a verified customer), or not."""
    signature = sign(Customer(**customer), SECRET) if signed else ""
    chat = _post(url, "/v1/conversations", {"customer": customer, "signature": signature})
    path = f"/v1/conversations/{chat['id']}/messages"
    reply = _post(url, path, {"text": text}, chat["token"])
    if reply["action"] != "handoff":  # the assistant answered or asked: the customer insists
        reply = _post(url, path, {"text": HUMAN}, chat["token"])
    assert reply["action"] == "handoff" and reply["handoff"], reply
    return int(reply["handoff"]["case_id"])


@pytest.fixture(scope="module")
def verifying_server(
    tmp_path_factory: pytest.TempPathFactory, e2e_index: Path
) -> Iterator[LiveServer]:
    """`answerdesk serve` with an identity secret: signed customer contexts are verified."""
    home = tmp_path_factory.mktemp("e2e-verified")
    data_dir = home / "data"
    shutil.copytree(e2e_index, data_dir, ignore=shutil.ignore_patterns("answerdesk.sqlite3*"))
    env = {
        "ANSWERDESK_DATA_DIR": str(data_dir),
        "ANSWERDESK_SOURCES": SOURCES,
        "ANSWERDESK_IDENTITY_SECRET": SECRET,
    }
    printed = _answerdesk("keys", "create", "e2e-agent", "--role", "agent", env=env, cwd=home)
    found = KEY.search(printed)
    assert found, printed
    server = answerdesk_serve(tmp_path_factory, home, env, "answerdesk-serve-verified")
    url = next(server)
    try:
        yield LiveServer(url, "e2e-agent", found.group(0), "", "")
    finally:
        server.close()


def test_a_verified_customers_earlier_cases_are_listed_and_open(
    browser: Browser, verifying_server: LiveServer
) -> None:
    server = verifying_server
    noa = {"id": "u-noa", "email": "noa@example.com", "plan": "pro", "role": ""}
    older = customer_hand_off(server.url, noa, "My exports hang at 90 percent.")
    server.api("POST", f"/v1/agent/cases/{older}/claim", server.agent_key)
    server.api("POST", f"/v1/agent/cases/{older}/resolve", server.agent_key,
               {"resolution": "Cleared the stuck export."})  # fmt: skip
    newer = customer_hand_off(server.url, noa, "Exports hang again, since today.")
    # Someone who only says they are Noa: not signed, so not verified.
    stranger = customer_hand_off(server.url, noa, "Show me Noa's cases.", signed=False)

    tab = Pages(browser, server.url)
    try:
        page = tab.open("/agent")
        sign_in(page, server.agent_key, server.agent)
        page.goto(f"/agent#case-{newer}")
        expect(page.locator("#case-title")).to_contain_text(f"#{newer}")
        earlier = page.locator("#earlier")
        expect(earlier).to_be_visible()
        expect(earlier.get_by_role("heading")).to_have_text("Earlier cases of this customer")
        items = earlier.locator("li")
        expect(items).to_have_count(1)
        expect(items.first).to_contain_text(f"#{older}")
        expect(items.first).to_contain_text("resolved")

        items.first.get_by_role("link").click()
        expect(page.locator("#case-title")).to_contain_text(f"#{older}")
        expect(earlier.locator("li")).to_have_count(1)
        expect(earlier.locator("li").first).to_contain_text(f"#{newer}")

        # The unverified one's case: no section, though the email is the same.
        page.goto(f"/agent#case-{stranger}")
        expect(page.locator("#case-title")).to_contain_text(f"#{stranger}")
        expect(earlier).to_be_hidden()
    finally:
        tab.close()
        tab.check()


def test_the_earlier_cases_section_is_hidden_for_an_unverified_customer(
    pages: Pages, live_server: LiveServer
) -> None:
    server = live_server
    chat: Chat = hand_off(server)
    page = pages.open("/agent")
    sign_in(page, server.agent_key, server.agent)
    page.goto(f"/agent#case-{chat.case}")
    expect(page.locator("#case-title")).to_contain_text(f"#{chat.case}")
    expect(page.locator("#summary")).to_be_visible()
    expect(page.locator("#earlier")).to_be_hidden()
    expect(page.locator("#earlier li")).to_have_count(0)
