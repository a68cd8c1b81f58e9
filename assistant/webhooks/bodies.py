"""What a subscription receives: the event as it was recorded (`json`), or a message for a
Slack incoming webhook (`slack`). What people wrote passes the secrets redaction on the way out,
whatever was stored: no card number, IBAN, national id or credential leaves in a webhook."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from assistant.redaction import redact_secrets, redact_tree
from assistant.store.events import Event
from assistant.store.webhooks import Format

_MAX_SLACK_TEXT = 300
_ICON = {"urgent": ":rotating_light:", "high": ":warning:"}


# What people wrote: redacted on the way out. Ids, times and names of states are left alone
# (an event id is random enough to look like a key to a secrets scanner).
_WRITTEN = frozenset({"text", "summary", "resolution", "comment", "priority_reasons", "tags"})


def body(event: Event, format: Format, console_url: str = "") -> bytes:
    safe = replace(event, data=_redacted(event.data))
    payload = slack_message(safe, console_url) if format == "slack" else safe.payload()
    return json.dumps(payload, ensure_ascii=False).encode()


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: redact_tree(v, redact_secrets) if k in _WRITTEN else _redacted(v)
            for k, v in value.items()
        }
    return value


def _escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SLACK_TEXT else text[: _MAX_SLACK_TEXT - 1] + "…"


def headline(event: Event) -> str:
    """One line for people: what happened, to which case."""
    data = event.data
    if event.type == "ping":
        return "Test delivery from answerdesk: this webhook is reachable."
    if "case" in data:
        case = data["case"]
        label = case["priority_label"]
        issue = str(case["summary"].get("issue") or case["summary"].get("subject") or "")
        what = {
            "case.created": f"New {label} case",
            "case.claimed": f"Case claimed by {case['claimed_by']}:",
            "case.resolved": "Case resolved:",
            "case.updated": f"Case updated ({data.get('change') or 'changed'}):",
        }[event.type]
        return f"{what} #{case['id']} — {_clip(issue) or case['category']}"
    if "message" in data:
        message = data["message"]
        who = "Internal note" if message["internal"] else f"New {message['speaker']} message"
        where = f" on case #{data['case_id']}" if data.get("case_id") else ""
        return f"{who}{where}: {_clip(message['text'])}"
    feedback = data["feedback"]
    rating = f"CSAT {feedback['csat']}" if feedback["csat"] else "feedback"
    return f"New {rating}" + (f": {_clip(feedback['comment'])}" if feedback["comment"] else "")


def slack_message(event: Event, console_url: str = "") -> dict[str, Any]:
    """A Slack incoming-webhook message: a headline, the case's queue and reasons, a link."""
    text = headline(event)
    case = event.data.get("case")
    icon = _ICON.get(case["priority_label"], "") if case else ""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} *{_escape(text)}*"}}
    ]
    details = []
    if case:
        details.append(_escape(f"Queue: {case['queue']} · Category: {case['category']}"))
        if case["priority_reasons"]:
            details.append(_escape("Why: " + "; ".join(case["priority_reasons"])))
    case_id = case["id"] if case else event.data.get("case_id")
    if console_url and case_id:
        details.append(f"<{console_url.rstrip('/')}/agent#case-{case_id}|Open in the console>")
    if details:
        elements = [{"type": "mrkdwn", "text": d} for d in details]
        blocks.append({"type": "context", "elements": elements})
    return {"text": text, "blocks": blocks}


def ping() -> Event:
    """The test event (`answerdesk webhooks test`): signed like any other, recorded nowhere."""
    return Event(0, f"evt_test_{uuid.uuid4().hex}", "ping", "", None, {}, datetime.now(UTC))
