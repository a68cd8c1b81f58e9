"""Messages carry their Markdown rendered to safe HTML: steps as lists, tables as tables, and
nothing a hostile answer or agent reply writes can run, load or link anywhere but the web."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from server.markdown import render
from tests.server.helpers import ANSWERABLE, Headers, handed_off, say, start

HOSTILE = (
    "Hello <script>alert('x')</script> and <img src=x onerror=alert(1)>\n\n"
    "[click me](javascript:alert(1)) [data](data:text/html,<script>alert(1)</script>) "
    "![tracker](https://evil.example/pixel.png) [ok](https://help.example/a) "
    '<a href="javascript:alert(2)" onclick="alert(3)">raw</a>\n\n'
    "[1]: https://evil.example/cite\n\nSee [1]."
)
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td", "a", "hr", "s",
}  # fmt: skip


class Elements(HTMLParser):
    """The elements and attributes an HTML string really has (not its escaped text)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(name, value or "") for name, value in attrs]


def assert_inert(html: str) -> None:
    found = Elements(html)
    assert set(found.tags) <= ALLOWED_TAGS, found.tags
    assert {name for name, _ in found.attrs} <= {"href", "target", "rel", "start"}, found.attrs
    hrefs = [value for name, value in found.attrs if name == "href"]
    assert all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
    assert "evil.example" not in " ".join(hrefs)


def test_a_hostile_text_renders_inert() -> None:
    html = render(HOSTILE)
    assert_inert(html)
    assert "&lt;script&gt;" in html  # shown as text, never as markup
    assert '<a href="https://help.example/a" target="_blank"' in html
    assert "click me" in html and "javascript" not in html.split("click me")[1][:20]
    assert "See [1]." in html  # a citation marker stays a marker, not a link the text defines
    assert "tracker" in html and "<img" not in html


def test_steps_render_as_a_numbered_list_and_a_table_as_a_table() -> None:
    html = render(
        "To connect a bank:\n\n1. Go to **Banking → Connections**.\n2. Select Add connection.\n\n"
        "| Code | What to do |\n| --- | --- |\n| BANK-102 | Reconnect [1] |"
    )
    assert_inert(html)
    assert "<ol>\n<li>Go to <strong>Banking → Connections</strong>.</li>" in html
    assert "<table>" in html and "<th>Code</th>" in html and "<td>Reconnect [1]</td>" in html


@pytest.mark.parametrize("text", ["", "plain words", "a\nb"])
def test_plain_text_stays_readable(text: str) -> None:
    assert set(Elements(render(text)).tags) <= {"p", "br"}


def test_turn_replies_and_messages_carry_safe_html_beside_their_markdown(
    client: TestClient, agent: Headers
) -> None:
    reply = say(client, start(client), ANSWERABLE)
    assert reply["answer"] and reply["html"] == render(reply["answer"])
    assert_inert(reply["html"])
    chat, case_id = handed_off(client)
    client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    steps = "Try this:\n\n1. Open Settings.\n2. Reconnect.\n\n| a | b |\n| --- | --- |\n| 1 | 2 |"
    for text in (HOSTILE, steps):
        sent = client.post(f"/v1/agent/cases/{case_id}/reply", json={"text": text}, headers=agent)
        assert sent.status_code == 200, sent.text
        assert sent.json()["text"] == text and sent.json()["html"] == render(text)
    detail = client.get(f"/v1/agent/cases/{case_id}", headers=agent).json()
    replies = [m for m in detail["transcript"] if m["speaker"] == "agent"]
    assert [m["text"] for m in replies] == [HOSTILE, steps]
    for message in detail["transcript"]:
        assert_inert(message["html"])
    assert "<ol>" in replies[1]["html"] and "<table>" in replies[1]["html"]
    seen = client.get(chat.url(), headers=chat.headers).json()["messages"]  # what the widget reads
    assert [m["html"] for m in seen if m["speaker"] == "agent"] == [render(HOSTILE), render(steps)]
