"""Redaction of personal data and secrets, for everything the desk stores, logs and indexes.

One set of rules (core.py, in a fixed order; secrets.py, ids.py, patterns.py, names.py) serves
ingest, which redacts support cases before they are embedded, and the live desk, which redacts
before anything is written: a card number a customer types is never stored. Two policies:

    redact_text(text)      everything: what customers write (messages, feedback, the case
                           summary made from them) and agents' internal notes
    redact_secrets(text)   secrets, card numbers, IBANs and national ids only: what the desk and
                           its agents write to the customer, where the help center's own
                           addresses, phone numbers and a greeting by name belong

Every replacement is a ``[KIND]`` placeholder (EMAIL, PHONE, CARD, IBAN, IP, SECRET,
NATIONAL_ID, NAME); redacting twice changes nothing. Precision matters as much as recall:
"I'm getting an error", order numbers that fail Luhn, dates, money, versions and error codes
stay, or a ticket loses what it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from assistant.redaction.core import KINDS, Redacted, redact
from assistant.redaction.names import find_person_names

__all__ = [
    "CONTACTS",
    "KINDS",
    "Redacted",
    "find_person_names",
    "redact",
    "redact_secrets",
    "redact_text",
    "redact_tree",
]

CONTACTS = frozenset({"EMAIL", "PHONE", "IP", "NAME"})
T = TypeVar("T")


def redact_text(text: str) -> str:
    """Every kind, and the people the text names ("I'm Maria Kowalska", "my accountant Willem",
    a signature)."""
    return redact(text, sorted(find_person_names(text))).text


def redact_secrets(text: str) -> str:
    """Secrets, card numbers, IBANs and national ids; contact details and names stay."""
    return redact(text, keep=CONTACTS).text


def redact_tree(value: T, redact_string: Callable[[str], str] = redact_text) -> T:
    """Every string in a JSON-like value (dicts, lists, tuples), keys left alone."""
    result: Any
    if isinstance(value, str):
        result = redact_string(value)
    elif isinstance(value, dict):
        result = {k: redact_tree(v, redact_string) for k, v in value.items()}
    elif isinstance(value, list | tuple):
        result = type(value)(redact_tree(v, redact_string) for v in value)
    else:
        result = value
    return result  # type: ignore[no-any-return]
