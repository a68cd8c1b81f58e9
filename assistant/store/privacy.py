"""What the store redacts before it writes, by who wrote the text: nothing reaches the database
unredacted, whichever caller stores it.

    customer messages, feedback comments   everything (assistant.redaction.redact_text): card
    internal notes                         numbers, passwords, keys, IBANs, national ids, emails,
                                           phones, IPs and the people they name
    assistant answers, agent replies,      secrets, card numbers, IBANs and national ids only:
    resolutions                            they are written to the customer, and the help
                                           center's addresses and a greeting by name belong there
    case summaries                         everything, but in the parts that come from the help
                                           center (diagnosis, draft reply, articles) or identify
                                           the account (the customer context, the fields the
                                           intake asked for), where contact details stay

Stored as given: the customer context of a conversation (account email, plan, page: what the
embedding site says about the account) and a message's `meta` (the desk's own structured data:
reasons, intents, keys; a random key must stay what it is to be looked up).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from assistant.redaction import redact_secrets, redact_text, redact_tree

_BY_SPEAKER: dict[str, Callable[[str], str]] = {
    "customer": redact_text,
    "note": redact_text,
    "assistant": redact_secrets,
    "agent": redact_secrets,
}
# Summary parts written from the knowledge base, or naming the account, by top-level key; any
# other key (those a later summary adds included) gets everything redacted.
_CONTACTS_KEPT = frozenset(
    {"customer", "fields", "diagnosis", "draft_reply", "suggested_articles", "next_steps"}
)


def message_text(speaker: str, text: str) -> str:
    return _BY_SPEAKER.get(speaker, redact_text)(text)


def summary(value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: redact_tree(part, redact_secrets if key in _CONTACTS_KEPT else redact_text)
        for key, part in value.items()
    }


def resolution(text: str) -> str:
    return redact_secrets(text)


def feedback_comment(text: str) -> str:
    return redact_text(text)
