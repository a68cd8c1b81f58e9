"""The emails a customer gets, from the plain-text templates in `templates/`.

Every email of a conversation carries its reply token twice: in the Reply-To address's plus
part when `ANSWERDESK_MAIL_REPLY_TO` is set (`support+c…@example.com`), and in the thread's
Message-ID, which mail clients quote back in `In-Reply-To` and `References`. What people wrote
(the issue, the agent's reply, the resolution) passes the secrets redaction again.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from string import Template

from assistant.redaction import redact_secrets
from assistant.store.mail import Mail, MailKind

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUBJECTS: dict[MailKind, str] = {
    "acknowledgement": "[$company #$case_id] We have your request",
    "reply": "[$company #$case_id] $agent answered",
    "resolution": "[$company #$case_id] Resolved",
}


@dataclass(frozen=True)
class Letterhead:
    """Who writes, and how answers find their way back."""

    company: str
    sender: str  # From: "Tallybook Support <support@example.com>"
    reply_to: str = ""  # an address whose plus part carries the token; "" for none


def template(kind: MailKind) -> Template:
    return Template((TEMPLATES / f"{kind}.txt").read_text(encoding="utf-8"))


def plus_address(address: str, token: str) -> str:
    local, _, domain = parseaddr(address)[1].partition("@")
    return f"{local.split('+')[0]}+{token}@{domain}"


def thread_id(token: str, sender: str) -> str:
    """The Message-ID of the thread's first email: later ones refer to it."""
    domain = parseaddr(sender)[1].partition("@")[2] or "answerdesk.invalid"
    return f"<{token}@{domain}>"


def compose(mail: Mail, head: Letterhead, token: str, link: str, wait: str = "") -> EmailMessage:
    data = mail.event.data
    case = data.get("case") or {}
    values = {
        "company": head.company,
        "case_id": str(case.get("id") or data.get("case_id") or ""),
        "issue": redact_secrets(str(case.get("summary", {}).get("issue") or "your question")),
        "wait": wait,
        "agent": (data.get("message") or {}).get("author") or "An agent",
        "text": redact_secrets((data.get("message") or {}).get("text", "")),
        "resolution": redact_secrets(str(case.get("resolution") or "")),
        "link": link,
    }
    message = EmailMessage()
    message["From"] = head.sender
    message["To"] = mail.to
    message["Subject"] = Template(SUBJECTS[mail.kind]).safe_substitute(values)
    message["Date"] = formatdate(localtime=False)
    root = thread_id(token, head.sender)
    if mail.kind == "acknowledgement":
        message["Message-ID"] = root
    else:
        message["Message-ID"] = root.replace("@", f".{mail.id}@", 1)
        message["In-Reply-To"] = root
        message["References"] = root
    if head.reply_to:
        message["Reply-To"] = plus_address(head.reply_to, token)
    if mail.kind == "acknowledgement":
        message["Auto-Submitted"] = "auto-generated"  # out-of-office replies should not answer
    message.set_content(template(mail.kind).safe_substitute(values))
    return message
