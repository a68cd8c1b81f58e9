"""Email follow-up, end to end against a real SMTP server on loopback (aiosmtpd): the hand-off
is acknowledged by email, an agent's reply the customer did not see in the chat is emailed, the
customer's emailed answer lands in the case, and the email's signed link continues the
conversation in the widget (an expired one does not)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.mail.links import link_key, sign_link
from tests.conftest import free_port
from tests.server.helpers import Chat, MakeClient, key, say, start, store

INBOUND = "inbound-hook-secret-0001"
LINK_SECRET = "link-secret-for-the-mail-tests-01"


class Mailbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, [m["Subject"] for m in self.messages]
        return self.messages


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def mailing(make_client: MakeClient, smtp: tuple[Mailbox, int]) -> Callable[..., TestClient]:
    def make(**changes: Any) -> TestClient:
        settings = {
            "smtp_host": "127.0.0.1", "smtp_port": smtp[1], "mail_unseen_minutes": 0.0,
            "webhook_poll_seconds": 0.05, "mail_reply_to": "help@tallybook.example",
            "mail_from": "Tallybook Support <support@tallybook.example>",
            "public_url": "http://desk.example", "inbound_secret": SecretStr(INBOUND),
            "link_secret": SecretStr(LINK_SECRET),
        }  # fmt: skip
        return make_client(**(settings | changes))

    return make


def handed_off_by_email(client: TestClient) -> tuple[Chat, int]:
    chat = start(client)
    answer = client.post(
        chat.url("/email"), json={"email": "kim@example.com"}, headers=chat.headers
    )
    assert answer.status_code == 200, answer.text
    reply = say(client, chat, "My bank feed stopped, get me a human please")
    assert reply["action"] == "handoff", reply
    return chat, reply["handoff"]["case_id"]


def test_a_customer_who_left_gets_the_reply_by_email_and_answers_by_email(
    mailing: Callable[..., TestClient], smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    client = mailing()
    chat, case_id = handed_off_by_email(client)
    (ack,) = mailbox.wait_for(1)
    assert ack["To"] == "kim@example.com" and f"#{case_id}]" in ack["Subject"]
    body = ack.get_content()
    assert f"case #{case_id}" in body and "My bank feed stopped" in body
    assert "usual wait" in body or "we're back" in body  # the desk's estimate, hours-aware
    assert re.search(r"http://desk\.example/\?answerdesk_resume=\S+", body)

    agent = key(client, "alice")
    client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    sent = client.post(
        f"/v1/agent/cases/{case_id}/reply",
        json={"text": "Reconnect it under Banking → Connections; card 4111 1111 1111 1111 ok."},
        headers=agent,
    )  # fmt: skip
    assert sent.status_code in (200, 201), sent.text
    _, reply = mailbox.wait_for(2)
    assert reply["Subject"] == f"[Tallybook #{case_id}] alice answered"
    assert "Reconnect it under Banking" in reply.get_content() and "4111" not in reply.get_content()
    assert reply["In-Reply-To"] == ack["Message-ID"]

    answer = (
        f"From: Kim <kim@example.com>\r\nTo: {reply['Reply-To']}\r\n"
        f"Subject: Re: {reply['Subject']}\r\nIn-Reply-To: {reply['Message-ID']}\r\n\r\n"
        "Done, and it syncs again. Thanks!\r\n\r\nOn Fri, alice wrote:\r\n> Reconnect it\r\n"
    ).encode()
    landed = client.post(
        f"/v1/inbound/email?secret={INBOUND}", content=answer,
        headers={"Content-Type": "message/rfc822"},
    )  # fmt: skip
    assert landed.status_code == 201, landed.text
    assert landed.json()["conversation_id"] == chat.id and not landed.json()["reopened"]
    case = client.get(f"/v1/agent/cases/{case_id}", headers=agent).json()
    assert case["status"] == "claimed"  # the customer answered: back on the agent's desk
    assert case["transcript"][-1]["text"] == "Done, and it syncs again. Thanks!"

    link = re.search(r"answerdesk_resume=(\S+)", reply.get_content())
    assert link is not None
    resumed = client.post(chat.url("/resume"), json={"link": link.group(1)})
    assert resumed.status_code == 200, resumed.text
    fresh = {"Authorization": f"Bearer {resumed.json()['token']}"}
    seen = client.get(chat.url(), headers=fresh).json()
    assert [m["text"] for m in seen["messages"]][-1] == "Done, and it syncs again. Thanks!"
    assert client.get(chat.url(), headers=chat.headers).status_code == 404  # the old tab's token


def test_an_expired_or_foreign_link_does_not_open_the_conversation(
    mailing: Callable[..., TestClient], tmp_path: Any
) -> None:
    client = mailing()
    chat, other = start(client), start(client)
    signing = link_key(LINK_SECRET, tmp_path)
    old = sign_link(signing, chat.id, datetime.now(UTC) - timedelta(minutes=1))
    expired = client.post(chat.url("/resume"), json={"link": old})
    assert expired.status_code == 404 and "expired" in expired.json()["error"]["message"]
    valid_elsewhere = sign_link(signing, other.id, datetime.now(UTC) + timedelta(days=1))
    assert client.post(chat.url("/resume"), json={"link": valid_elsewhere}).status_code == 404
    assert client.get(chat.url(), headers=chat.headers).status_code == 200  # token unchanged


def test_a_reply_read_in_the_chat_is_not_emailed(
    mailing: Callable[..., TestClient], smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    client = mailing(mail_unseen_minutes=0.05)  # 3 s to read it in the chat
    chat, case_id = handed_off_by_email(client)
    mailbox.wait_for(1)
    agent = key(client, "alice")
    client.post(f"/v1/agent/cases/{case_id}/claim", headers=agent)
    client.post(f"/v1/agent/cases/{case_id}/reply", json={"text": "Try again now."}, headers=agent)
    assert client.get(chat.url(), headers=chat.headers).status_code == 200  # the widget polls
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mails = store(client).mails(conversation_id=chat.id)
        if all(m.status != "pending" for m in mails):
            break
        time.sleep(0.1)
    assert {(m.kind, m.status, m.last_error) for m in mails} == {
        ("acknowledgement", "sent", ""),
        ("reply", "skipped", "seen in the widget"),
    }
    assert len(mailbox.messages) == 1


def test_an_address_the_browser_merely_claims_is_never_written_to(
    mailing: Callable[..., TestClient], smtp: tuple[Mailbox, int]
) -> None:
    client = mailing()
    chat = start(client, email="victim@example.com")  # unsigned: anyone can claim it
    assert say(client, chat, "get me a human please")["action"] == "handoff"
    time.sleep(0.5)
    assert smtp[0].messages == [] and store(client).mails(conversation_id=chat.id) == []
    bad = client.post(chat.url("/email"), json={"email": "not an address"}, headers=chat.headers)
    assert bad.status_code == 400 and "not an email address" in bad.json()["error"]["message"]


def test_inbound_email_needs_the_hook_secret_and_a_reply_of_ours(
    mailing: Callable[..., TestClient],
) -> None:
    client = mailing()
    raw = b"From: x@example.net\r\nTo: help@tallybook.example\r\nSubject: hi\r\n\r\nHello\r\n"
    assert client.post("/v1/inbound/email", content=raw).status_code == 401
    assert client.post("/v1/inbound/email?secret=wrong", content=raw).status_code == 401
    stranger = client.post("/v1/inbound/email", content=raw, headers={"X-Inbound-Secret": INBOUND})
    assert stranger.status_code == 400 and "reply token" in stranger.json()["error"]["message"]
    huge = client.post(f"/v1/inbound/email?secret={INBOUND}", content=b"x" * 2_100_000)
    assert huge.status_code == 413
    off = mailing(inbound_secret=None)
    refused = off.post("/v1/inbound/email?secret=anything", content=raw)
    assert refused.status_code == 401 and "off" in refused.json()["error"]["message"]


def test_an_smtp_server_that_is_down_keeps_the_mail_to_retry(
    mailing: Callable[..., TestClient],
) -> None:
    client = mailing(smtp_port=free_port())  # nothing listens there
    chat, _ = handed_off_by_email(client)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        (mail,) = store(client).mails(conversation_id=chat.id)
        if mail.attempts:
            break
        time.sleep(0.1)
    assert mail.status == "pending" and mail.attempts == 1
    assert "Connection" in mail.last_error or "refused" in mail.last_error.lower()


def test_an_address_given_after_the_handoff_still_gets_the_acknowledgement_once(
    mailing: Callable[..., TestClient], smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    client = mailing()
    chat = start(client)
    case_id = say(client, chat, "get me a human please")["handoff"]["case_id"]
    for address in ("late@example.com", "later@example.com"):
        given = client.post(chat.url("/email"), json={"email": address}, headers=chat.headers)
        assert given.status_code == 200
    (ack,) = mailbox.wait_for(1)
    assert ack["To"] == "late@example.com" and f"#{case_id}]" in ack["Subject"]
    time.sleep(0.5)
    assert len(mailbox.messages) == 1  # the second address changed where to write, not what
