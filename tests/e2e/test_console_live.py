"""The agents' console, live, in Chromium: a hand-off reaches an open console through the event
stream (GET /v1/agent/events) with no polling while the stream is up; a hidden tab counts what
needs the agent in its title; sound and notifications are opt-in; the views filter the queue
and the keyboard shortcuts work; a dropped stream resumes with Last-Event-ID and misses nothing.

The page's timers run on Playwright's clock where a test proves a negative ("no request on a
timer"): twenty seconds of the page's time pass in a moment, so the 8 s fallback polling would
have fired twice. Cases come from the customer API, as the widget makes them.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from tests.e2e.conftest import LiveServer, Pages
from tests.e2e.test_web_ui import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.server]

Shot = Callable[[Page, str], Path]
TITLE = "answerdesk · Agent console"
HUMAN = "get me a human please"
ACTIVE = "open,claimed,waiting_on_customer"
LIVE_MS = 2_000  # how soon a change must show in an open console
QUEUE_LOAD = re.compile(r"/v1/agent/cases\?")

# Makes the page hidden (or visible again) as a switch to another tab would: headless Chromium
# keeps every page visible.
VISIBILITY = """(hidden) => {
  const state = () => (hidden ? "hidden" : "visible");
  Object.defineProperty(document, "visibilityState", { configurable: true, get: state });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event("visibilitychange"));
}"""

# Wraps fetch for the event stream only: the test can cut the connection (as a network drop
# would) and read what each connection sent and received.
TAP = """(() => {
  const real = window.fetch.bind(window);
  window.__streams = [];
  window.fetch = (input, init = {}) => {
    if (!String(input).includes("/v1/agent/events")) return real(input, init);
    const cut = new AbortController();
    const stream = { cut, headers: { ...(init.headers || {}) }, text: "" };
    window.__streams.push(stream);
    if (init.signal) init.signal.addEventListener("abort", () => cut.abort());
    return real(input, { ...init, signal: cut.signal }).then((res) => {
      if (res.ok && res.body) {
        const reader = res.clone().body.getReader();
        const decoder = new TextDecoder();
        const pump = () => reader.read().then(({ done, value }) => {
          if (done) return;
          stream.text += decoder.decode(value, { stream: true });
          pump();
        }, () => {});
        pump();
      }
      return res;
    });
  };
})();"""

# Stands in for the desktop notification and the speaker, and records what they were asked.
ALERTS = """(() => {
  const seen = (window.__alerts = { beeps: 0, asked: 0, shown: [] });
  class FakeNotification {
    static get permission() { return sessionStorage.getItem("fake-permission") || "default"; }
    static async requestPermission() {
      seen.asked += 1;
      sessionStorage.setItem("fake-permission", "granted");
      return "granted";
    }
    constructor(title, options) {
      Object.assign(this, { title, options, closed: false });
      seen.shown.push(this);
    }
    close() { this.closed = true; }
  }
  window.Notification = FakeNotification;
  const param = () => ({ setValueAtTime() {}, exponentialRampToValueAtTime() {} });
  window.AudioContext = class {
    constructor() { Object.assign(this, { state: "running", currentTime: 0, destination: {} }); }
    resume() { return Promise.resolve(); }
    createGain() { return { gain: param(), connect() {} }; }
    createOscillator() {
      const start = () => (seen.beeps += 1);
      return { type: "", frequency: param(), connect() {}, start, stop() {} };
    }
  };
})();"""


# ---------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Chat:
    id: str
    token: str
    case: int


def _customer(server: LiveServer, path: str, body: Any, token: str | None = None) -> Any:
    """A call to the customer API, as the widget makes it."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{server.url}{path}", data=json.dumps(body).encode(), method="POST", headers=headers
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def hand_off(server: LiveServer) -> Chat:
    """A new conversation whose customer asks for a person at once: a new case."""
    chat = _customer(server, "/v1/conversations", {})
    path = f"/v1/conversations/{chat['id']}/messages"
    reply = _customer(server, path, {"text": HUMAN}, chat["token"])
    assert reply["action"] == "handoff" and reply["handoff"], reply
    return Chat(chat["id"], chat["token"], int(reply["handoff"]["case_id"]))


def say(server: LiveServer, chat: Chat, text: str) -> None:
    _customer(server, f"/v1/conversations/{chat.id}/messages", {"text": text}, chat.token)


def console(pages: Pages, key: str, name: str, *scripts: str, clock: bool = False) -> Page:
    """The console signed in with its stream live; `scripts` run before the page's own."""
    page = pages.open("about:blank")
    for script in scripts:
        page.add_init_script(script)
    if clock:
        page.clock.install()
    page.goto("/agent")
    sign_in(page, key, name)
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("#live")).to_have_text("Live")
    return page


def row(page: Page, case: int) -> Locator:
    return page.locator(f'#queue-body tr[data-case="{case}"]')


def queue_loads(page: Page) -> list[str]:
    """The queue's reloads from now on (GET /v1/agent/cases?...), as the page sends them."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if request.method == "GET" and QUEUE_LOAD.search(request.url):
            seen.append(request.url)

    page.on("request", record)
    return seen


# ---------------------------------------------------------------- live updates


def test_a_hand_off_reaches_an_open_console_live_and_nothing_polls(
    pages: Pages, live_server: LiveServer
) -> None:
    server = live_server
    page = console(pages, server.other_agent_key, server.other_agent, clock=True)
    page.wait_for_timeout(500)  # the one reload a fresh stream makes is done
    loads = queue_loads(page)

    # Twenty seconds of the page's timers: the 8 s polling would fire twice. It is off.
    page.clock.run_for(20_000)
    page.wait_for_timeout(500)
    assert loads == [], f"the queue was reloaded on a timer while the stream was live: {loads}"

    chat = hand_off(server)
    expect(row(page, chat.case)).to_be_visible(timeout=LIVE_MS)  # no reload: the stream told
    assert loads, "the recorder saw no queue load: its silence above proved nothing"
    assert page.title() == TITLE  # a visible tab gets no badge

    # The open case follows too: the customer's next message, then another agent's claim.
    row(page, chat.case).get_by_role("link").click()
    expect(page.locator("#case-title")).to_contain_text(f"#{chat.case}")
    say(server, chat, "The export to my accountant fails with error 502.")
    customer = page.locator("#transcript li.customer")
    expect(customer.last).to_contain_text("error 502", timeout=LIVE_MS)
    server.api("POST", f"/v1/agent/cases/{chat.case}/claim", server.agent_key)
    expect(page.locator("#case-meta")).to_contain_text(
        f"claimed by {server.agent}", timeout=LIVE_MS
    )
    expect(page.locator("#claim-warning")).to_contain_text(f"{server.agent} already claimed")
    expect(page.get_by_role("button", name="Claim")).to_be_enabled()  # still mine to try


def test_a_hidden_tab_counts_new_cases_and_replies_on_my_cases_in_its_title(
    pages: Pages, live_server: LiveServer
) -> None:
    server = live_server
    page = console(pages, server.agent_key, server.agent)
    assert page.title() == TITLE
    page.evaluate(VISIBILITY, True)

    mine = hand_off(server)
    expect(page).to_have_title(f"(1) {TITLE}", timeout=LIVE_MS)
    server.api("POST", f"/v1/agent/cases/{mine.case}/claim", server.agent_key)  # no count
    theirs = hand_off(server)
    expect(page).to_have_title(f"(2) {TITLE}")
    server.api("POST", f"/v1/agent/cases/{theirs.case}/claim", server.other_agent_key)

    # A customer's reply on another agent's case is not counted, one on mine is: the events
    # arrive in order, so once mine is counted the other one has been seen and passed over.
    say(server, theirs, "Any news on this? It is urgent for us.")
    say(server, mine, "I tried again and it still fails.")
    expect(page).to_have_title(f"(3) {TITLE}", timeout=LIVE_MS)
    page.wait_for_timeout(300)
    assert page.title() == f"(3) {TITLE}"

    page.evaluate(VISIBILITY, False)  # back to the tab: the badge goes
    expect(page).to_have_title(TITLE)
    hand_off(server)  # visible: the queue shows it, the title stays
    page.wait_for_timeout(LIVE_MS)
    assert page.title() == TITLE


def test_sound_and_notifications_are_opt_in_and_a_notification_opens_its_case(
    pages: Pages, live_server: LiveServer
) -> None:
    server = live_server
    page = console(pages, server.agent_key, server.agent, ALERTS)
    alerts = "window.__alerts"
    sound, notify = page.get_by_label("Sound"), page.get_by_label("Notify")
    expect(sound).not_to_be_checked()
    expect(notify).not_to_be_checked()
    page.evaluate(VISIBILITY, True)
    hand_off(server)
    expect(page).to_have_title(f"(1) {TITLE}", timeout=LIVE_MS)
    assert page.evaluate(f"{alerts}.beeps") == 0 and page.evaluate(f"{alerts}.shown.length") == 0
    page.evaluate(VISIBILITY, False)

    sound.check()  # switching it on plays a sample
    assert page.evaluate(f"{alerts}.beeps") == 1
    notify.check()  # the browser is asked for its permission now, not before
    expect(notify).to_be_checked()
    assert page.evaluate(f"{alerts}.asked") == 1
    page.reload()  # remembered in this browser
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(sound).to_be_checked()
    expect(notify).to_be_checked()

    page.evaluate(VISIBILITY, True)
    new = hand_off(server)
    expect(page).to_have_title(f"(1) {TITLE}", timeout=LIVE_MS)
    shown = page.evaluate(f"{alerts}.shown.map((n) => n.title)")
    assert shown == [f"New case #{new.case}"], shown
    assert page.evaluate(f"{alerts}.beeps") == 1  # the reload started the count again

    page.evaluate(f"{alerts}.shown[0].onclick()")  # the agent clicks the notification
    expect(page).to_have_url(re.compile(rf"#case-{new.case}$"))
    expect(page.locator("#case-title")).to_contain_text(f"#{new.case}")
    assert page.evaluate(f"{alerts}.shown[0].closed")


# ---------------------------------------------------------------- views and keyboard


def test_views_filter_the_queue_and_the_keyboard_drives_the_console(
    pages: Pages, live_server: LiveServer, shot: Shot
) -> None:
    server = live_server
    mine, theirs, open_ = hand_off(server), hand_off(server), hand_off(server)
    server.api("POST", f"/v1/agent/cases/{mine.case}/claim", server.agent_key)
    server.api("POST", f"/v1/agent/cases/{theirs.case}/claim", server.other_agent_key)
    page = console(pages, server.agent_key, server.agent)
    views = page.get_by_role("group", name="Views")
    buttons = {name: views.get_by_role("button", name=re.compile(f"^{name}")) for name in
               ("Mine", "Unassigned", "All")}  # fmt: skip

    listed = server.api("GET", f"/v1/agent/cases?status={ACTIVE}&limit=200", server.agent_key)
    cases = listed["cases"]
    counts = {
        "Mine": sum(c["claimed_by"] == server.agent for c in cases),
        "Unassigned": sum(c["status"] == "open" for c in cases),
        "All": len(cases),
    }
    for name, button in buttons.items():
        expect(button.locator(".count")).to_have_text(str(counts[name]))
    expect(buttons["All"]).to_have_attribute("aria-pressed", "true")  # the first time

    def shows(*visible: Chat, hidden: tuple[Chat, ...]) -> None:
        for chat in visible:
            expect(row(page, chat.case)).to_be_visible()
        for chat in hidden:
            expect(row(page, chat.case)).to_have_count(0)

    buttons["Mine"].click()
    expect(buttons["Mine"]).to_have_attribute("aria-pressed", "true")
    shows(mine, hidden=(theirs, open_))
    expect(page.locator("#queue-body tr[data-case]")).to_have_count(counts["Mine"])
    page.keyboard.press("2")
    expect(buttons["Unassigned"]).to_have_attribute("aria-pressed", "true")
    shows(open_, hidden=(mine, theirs))
    page.keyboard.press("g")
    page.keyboard.press("a")
    shows(mine, theirs, open_, hidden=())
    page.keyboard.press("g")
    page.keyboard.press("u")
    expect(buttons["Unassigned"]).to_have_attribute("aria-pressed", "true")
    page.reload()  # the view is remembered
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(buttons["Unassigned"]).to_have_attribute("aria-pressed", "true")
    shows(open_, hidden=(mine, theirs))

    # `?` opens the help, Escape closes it.
    help_ = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_).to_be_hidden()
    page.keyboard.press("?")
    expect(help_).to_be_visible()
    for key in ("j", "k", "Enter", "c", "r", "Esc", "?"):
        kbd = help_.locator("kbd", has_text=re.compile(f"^{re.escape(key)}$"))
        expect(kbd.first).to_be_visible()
    shot(page, "console-live-shortcuts")
    page.keyboard.press("Escape")
    expect(help_).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(help_).to_be_visible()
    page.keyboard.press("Escape")

    # j/k move the selection; Enter opens the selected case.
    rows = page.locator("#queue-body tr[data-case]")
    selected = page.locator('#queue-body tr[aria-current="true"]')
    expect(selected).to_have_count(0)
    page.keyboard.press("j")
    expect(selected).to_have_attribute("data-case", rows.first.get_attribute("data-case") or "")
    for _ in range(rows.count()):
        if selected.get_attribute("data-case") == str(open_.case):
            break
        page.keyboard.press("j")
    expect(selected).to_have_attribute("data-case", str(open_.case))
    expect(selected.get_by_role("link")).to_be_focused()
    if rows.count() > 1:
        page.keyboard.press("k")
        expect(selected).not_to_have_attribute("data-case", str(open_.case))
        page.keyboard.press("j")
        expect(selected).to_have_attribute("data-case", str(open_.case))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"#case-{open_.case}$"))
    expect(page.locator("#case-title")).to_contain_text(f"#{open_.case}")

    # c claims it; r goes to the reply, where letters are text; Escape leaves the box.
    page.locator("#case-title").click()  # the page, not a box, has the keyboard
    page.keyboard.press("c")
    expect(page.locator("#case-status")).to_have_text("You claimed this case.")
    expect(page.locator("#case-meta")).to_contain_text(f"claimed by {server.agent}")
    reply = page.get_by_label(re.compile("^Reply"))
    page.keyboard.press("r")
    expect(reply).to_be_focused()
    reply.fill("")
    page.keyboard.type("jk1 c?")
    expect(reply).to_have_value("jk1 c?")
    expect(help_).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"#case-{open_.case}$"))
    page.keyboard.press("Escape")
    expect(reply).not_to_be_focused()
    page.keyboard.press("1")  # back to the queue, in the view Mine, where the case is now
    expect(page.locator("#queue")).to_be_visible()
    expect(buttons["Mine"]).to_have_attribute("aria-pressed", "true")
    shows(mine, open_, hidden=(theirs,))


# ---------------------------------------------------------------- a dropped stream


def test_a_dropped_stream_polls_meanwhile_and_resumes_without_a_gap(
    pages: Pages, live_server: LiveServer, shot: Shot
) -> None:
    server = live_server
    pages.allow(r"status of 503")  # the refused reconnections, logged by the browser
    page = console(pages, server.agent_key, server.agent, TAP, clock=True)
    live = page.locator("#live")
    before = hand_off(server)  # seen live: the stream now has an event id to resume from
    expect(row(page, before.case)).to_be_visible(timeout=LIVE_MS)
    expect(live).to_have_attribute("data-last-event", re.compile(r"^[1-9]\d*$"))

    page.route("**/v1/agent/events*", lambda route: route.fulfill(status=503, body="down"))
    page.evaluate("window.__streams.at(-1).cut.abort()")  # the connection drops
    expect(live).to_have_attribute("data-state", "reconnecting")
    expect(live).to_have_text("Reconnecting…")
    shot(page, "console-live-reconnecting")
    seen = int(live.get_attribute("data-last-event") or 0)  # the last event before the drop

    loads = queue_loads(page)  # down: the console polls meanwhile
    page.clock.run_for(9_000)
    page.wait_for_timeout(500)
    assert loads, "no polling while the stream was down"
    missed = hand_off(server)  # happens while the stream is down

    page.unroute("**/v1/agent/events*")
    page.clock.run_for(40_000)  # past the longest back-off: the next attempt goes through
    expect(live).to_have_attribute("data-state", "live")
    expect(row(page, missed.case)).to_be_visible(timeout=LIVE_MS)
    resumed = page.evaluate("(({ headers, text }) => ({ headers, text }))(window.__streams.at(-1))")
    assert resumed["headers"].get("Last-Event-ID") == str(seen), resumed["headers"]
    replayed = re.findall(r"event: case\.created\ndata: (.+)\n", resumed["text"])
    assert any(json.loads(data)["data"]["case"]["id"] == missed.case for data in replayed), (
        f"the resumed stream did not replay case #{missed.case}: {resumed['text'][:2000]}"
    )
    assert int(live.get_attribute("data-last-event") or 0) > seen
