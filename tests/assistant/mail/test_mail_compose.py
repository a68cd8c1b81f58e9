"""The emails: what each says, how its answer finds the way back, what never leaves; and a
customer's emailed answer read back without the quote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assistant.errors import AnswerdeskError
from assistant.mail.compose import Letterhead, compose
from assistant.mail.inbound import read_reply
from assistant.mail.links import reply_token
from assistant.mail.worker import plan
from assistant.store.events import Event, EventType
from assistant.store.mail import Mail, MailKind, email_of, mail_kind

KEY = b"compose-test-secret-0123456789"
CONVERSATION = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
WHEN = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
HEAD = Letterhead(
    "Tallybook", "Tallybook Support <support@tallybook.example>", "help@tallybook.example"
)


def mail(
    kind: MailKind, data: dict[str, Any], type_: EventType = "case.created", **more: Any
) -> Mail:
    event = Event(5, "evt_x", type_, CONVERSATION, 12, data, WHEN)
    values = {"status": "pending", "attempts": 0, "next_attempt_at": WHEN, "last_error": "",
              "sent_at": None} | more  # fmt: skip
    return Mail(3, CONVERSATION, kind, "kim@example.com", event, **values)


CASE = {"case": {"id": 12, "summary": {"issue": "Bank feed stopped on 1 Dec"}, "resolution": None}}


def test_the_acknowledgement_gives_the_case_number_the_wait_and_the_way_back() -> None:
    token = reply_token(KEY, CONVERSATION)
    message = compose(
        mail("acknowledgement", CASE), HEAD, token, "https://x/?r=abc", "About 20 minutes."
    )
    assert message["Subject"] == "[Tallybook #12] We have your request"
    assert message["To"] == "kim@example.com" and "support@tallybook.example" in message["From"]
    assert message["Reply-To"] == f"help+{token}@tallybook.example"
    assert message["Message-ID"] == f"<{token}@tallybook.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert "case #12" in body and "Bank feed stopped on 1 Dec" in body
    assert "About 20 minutes." in body and "https://x/?r=abc" in body


def test_a_reply_threads_under_the_acknowledgement_and_carries_no_secret() -> None:
    token = reply_token(KEY, CONVERSATION)
    reply = {"message": {"speaker": "agent", "kind": "reply", "author": "alice",
                         "text": "Use card 4111 1111 1111 1111? No: reconnect under Banking."},
             "case_id": 12}  # fmt: skip
    message = compose(mail("reply", reply, "message.created"), HEAD, token, "https://x")
    assert message["Subject"] == "[Tallybook #12] alice answered"
    assert message["In-Reply-To"] == f"<{token}@tallybook.example>"
    assert message["Message-ID"] != message["In-Reply-To"] and "Auto-Submitted" not in message
    body = message.get_content()
    assert "reconnect under Banking" in body and "4111" not in body


def test_which_events_are_emailed() -> None:
    agent = {"message": {"speaker": "agent", "kind": "reply"}}
    assert mail_kind("case.created", CASE) == "acknowledgement"
    assert mail_kind("message.created", agent) == "reply"
    assert (
        mail_kind("message.created", {"message": {"speaker": "assistant", "kind": "answer"}})
        is None
    )
    assert mail_kind("case.resolved", CASE) == "resolution"
    assert mail_kind("case.resolved", {**CASE, "change": "merged"}) is None
    assert mail_kind("case.claimed", CASE) is None


def test_replies_wait_to_be_seen_in_the_widget_and_old_mail_is_dropped() -> None:
    unseen = timedelta(minutes=5)
    reply = mail("reply", {"message": {}}, "message.created")
    assert plan(reply, WHEN + timedelta(minutes=1), unseen) == "hold"
    assert plan(reply, WHEN + timedelta(minutes=6), unseen) == "send"
    seen = mail("reply", {"message": {}}, "message.created", seen_at=WHEN + timedelta(seconds=20))
    assert plan(seen, WHEN + timedelta(minutes=6), unseen) == "seen"
    earlier = mail("reply", {}, "message.created", seen_at=WHEN - timedelta(seconds=1))
    assert plan(earlier, WHEN + timedelta(minutes=6), unseen) == "send"
    assert plan(mail("acknowledgement", CASE), WHEN, unseen) == "send"
    assert plan(mail("acknowledgement", CASE), WHEN + timedelta(days=2), unseen) == "stale"


def emailed_reply(body: str, **headers: str) -> bytes:
    lines = [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join([*lines, "Subject: Re: [Tallybook #12] alice answered", "", body])).encode()


def test_an_emailed_reply_is_read_back_without_the_quote() -> None:
    token = reply_token(KEY, CONVERSATION)
    raw = emailed_reply(
        "Still broken after reconnecting.\n\nOn Fri, 5 Dec 2026 at 09:00, Tallybook Support "
        "<support@tallybook.example> wrote:\n> alice from Tallybook support answered\n> old text",
        From="Kim <kim@example.com>", To=f"help+{token}@tallybook.example",
    )  # fmt: skip
    reply = read_reply(raw, KEY)
    assert reply.conversation_id == CONVERSATION and reply.sender == "kim@example.com"
    assert reply.text == "Still broken after reconnecting."


def test_the_thread_id_finds_the_conversation_when_the_address_lost_its_token() -> None:
    token = reply_token(KEY, CONVERSATION)
    raw = emailed_reply(
        "Thanks, that fixed it!", From="kim@example.com", To="help@tallybook.example",
        In_Reply_To=f"<{token}.7@tallybook.example>", References=f"<{token}@tallybook.example>",
    )  # fmt: skip
    assert read_reply(raw, KEY).conversation_id == CONVERSATION


def test_mail_that_answers_none_of_ours_or_says_nothing_is_refused() -> None:
    stranger = emailed_reply(
        "Buy cheap watches", From="spam@example.net", To="help@tallybook.example"
    )
    with pytest.raises(AnswerdeskError, match="no valid reply token"):
        read_reply(stranger, KEY)
    forged = emailed_reply("hi", From="x@example.net", To=f"help+c{'1' * 32}x{'0' * 20}@t.example")
    with pytest.raises(AnswerdeskError, match="no valid reply token"):
        read_reply(forged, KEY)
    token = reply_token(KEY, CONVERSATION)
    empty = emailed_reply("> only the quote", From="kim@example.com", To=f"help+{token}@t.example")
    with pytest.raises(AnswerdeskError, match="no new text"):
        read_reply(empty, KEY)


def test_an_html_only_reply_is_read_as_text() -> None:
    token = reply_token(KEY, CONVERSATION)
    raw = (
        f"From: kim@example.com\r\nTo: help+{token}@t.example\r\nSubject: Re\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><body><p>It works <b>now</b>, thank you.</p></body></html>"
    ).encode()
    text = read_reply(raw, KEY).text
    assert "<" not in text and "It works" in text and "now" in text and "thank you." in text


@pytest.mark.parametrize("address", ["kim@example.com", "  dana.w+tb@mail.example.co.uk "])
def test_follow_up_addresses_are_checked(address: str) -> None:
    assert email_of(address) == address.strip()


@pytest.mark.parametrize(
    "address", ["kim", "kim@", "@example.com", "a b@example.com", "<x>@y.z", "kim@example"]
)
def test_what_is_not_an_address_is_refused(address: str) -> None:
    with pytest.raises(AnswerdeskError, match="not an email address"):
        email_of(address)


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: auto-replied", "Auto-Submitted: auto-generated", "Precedence: bulk"]
)
def test_an_out_of_office_reply_is_not_added_to_the_case(header: str) -> None:
    token = reply_token(KEY, CONVERSATION)
    raw = (
        f"From: kim@example.com\r\nTo: help+{token}@t.example\r\n{header}\r\n"
        "Subject: Out of office\r\n\r\nI am away until Monday.\r\n"
    ).encode()
    with pytest.raises(AnswerdeskError, match="automatic reply"):
        read_reply(raw, KEY)
