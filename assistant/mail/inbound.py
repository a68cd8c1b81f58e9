"""A customer's emailed reply, back into its case: matched by the reply token, without the
quoted history, stored as the customer's message like one typed in the widget.

The token is looked for where mail clients keep it: the plus part of the address replied to
(`support+c…@example.com`, also in Delivered-To or X-Original-To as providers rewrite), then the
thread's ids in In-Reply-To and References. A reply to a resolved case opens it again: the
customer says it is not solved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from email_reply_parser import EmailReplyParser

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.mail.links import token_conversation
from assistant.store.protocol import CaseStore

MAX_BYTES = 2_000_000
MAX_TEXT = 4000
_ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
_ID = re.compile(r"<([^<>@\s]+)@[^<>\s]+>")


@dataclass(frozen=True)
class InboundReply:
    conversation_id: str
    sender: str
    text: str


@dataclass(frozen=True)
class Taken:
    conversation_id: str
    message_id: int
    case_id: int | None
    reopened: bool


def _invalid(message: str) -> AnswerdeskError:
    return AnswerdeskError(ErrorCode.INVALID_INPUT, message)


def _tokens(message: EmailMessage) -> list[str]:
    found = []
    for header in _ADDRESS_HEADERS:
        for _, address in getaddresses([str(v) for v in message.get_all(header, [])]):
            local = address.partition("@")[0]
            if "+" in local:
                found.append(local.split("+", 1)[1])
    for header in ("In-Reply-To", "References"):
        for value in message.get_all(header, []):
            found += [m.split(".")[0] for m in _ID.findall(str(value))]
    return found


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_subtype() == "html":
        from selectolax.lexbor import LexborHTMLParser

        root = LexborHTMLParser(content).body
        content = root.text(separator="\n") if root is not None else ""
    return str(content)


def automatic(message: EmailMessage) -> bool:
    """Out-of-office replies and bounces (RFC 3834, and the older Precedence header): answering
    them, or adding them to the case, would only make noise (or a loop)."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return submitted != "no" or precedence in {"bulk", "junk", "auto_reply", "list"}


def read_reply(raw: bytes, key: bytes) -> InboundReply:
    """The conversation an emailed reply answers and what it says; INVALID_INPUT for mail that
    is not a reply to one of ours (or says nothing new)."""
    if len(raw) > MAX_BYTES:
        raise AnswerdeskError(ErrorCode.TOO_LARGE, f"An email is at most {MAX_BYTES:,} bytes.")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    if automatic(message):
        raise _invalid("An automatic reply (out of office, bounce) is not added to the case.")
    conversation = next(
        (c for t in _tokens(message) if (c := token_conversation(key, t)) is not None), None
    )
    if conversation is None:
        raise _invalid("This email answers none of our conversations (no valid reply token).")
    text = EmailReplyParser.parse_reply(_text(message)).strip()
    if not text:
        raise _invalid("The email has no new text above the quoted conversation.")
    return InboundReply(conversation, parseaddr(str(message.get("From", "")))[1], text[:MAX_TEXT])


def take_reply(store: CaseStore, key: bytes, raw: bytes) -> Taken:
    """Store an emailed reply in its conversation; reopen the case if it was resolved."""
    reply = read_reply(raw, key)
    message = store.add_message(
        reply.conversation_id, "customer", reply.text, kind="message", meta={"channel": "email"}
    )
    cases = store.list_cases(
        status=("open", "claimed", "waiting_on_customer", "resolved"),
        conversation_id=reply.conversation_id, sort="waiting", limit=1000,
    )  # fmt: skip
    latest = max(cases, key=lambda c: c.id, default=None)
    reopened = latest is not None and latest.status == "resolved" and latest.merged_into is None
    if latest is not None and reopened:
        store.reopen(latest.id, "email", "the customer replied by email")
    return Taken(reply.conversation_id, message.id, latest.id if latest else None, reopened)
