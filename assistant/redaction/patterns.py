"""Contact details and numbers: emails, IBANs, card numbers, IP addresses, phone numbers, and
long high-entropy strings.

Numeric rules are anchored so that dates, times, money, versions, ids like INV-2026-0042 and
order numbers survive; card numbers and IBANs must pass their checksums (python-stdnum's Luhn
and ISO 13616 with each country's format), so an order number that fails Luhn is kept.
"""

from __future__ import annotations

import re

from stdnum import iban as stdnum_iban
from stdnum import luhn

from assistant.redaction.values import Rule, longest_prefix, whole

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w-])"
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_LONG_TOKEN = re.compile(r"(?<![\w+-])[A-Za-z0-9_+-]{32,}=*(?![\w+-])")
_TOKEN_SEP = re.compile(r"[_+-]")
_CARD = re.compile(r"(?<![\w+.,/:#-])(?<!\d\s)\d(?:[ -]?\d){12,18}(?![\w]|[.,/:-]\d)")
_CARD_SEP = re.compile(r"[ -]")
_CARD_LAYOUTS = frozenset(
    {(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 3), (4, 4, 4, 1)}
)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:])"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_PHONE = re.compile(
    r"(?<![\w+#/.,-])(?<!\d\s)"  # not the tail of a longer digit sequence
    r"(?!\d{1,2}([-./])\d{1,2}\1\d{2,4}(?!\d))(?:"  # nor a date: 03-08-2026 15 invoices
    r"(?:\(\+\d{1,3}\)|\+\d{1,3})(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,6}){2,6}"  # +49 30 901820
    r"|(?:1[ .-])?(?:\(\d{3}\)[ .-]?|\d{3}[.-])\d{3}[ .-]\d{4}"  # US: (555) 013-4477
    r"|(?:\(0[1-9]\d{0,3}\)|0[1-9]\d{0,3})(?:[ -]?\d{2,8}){1,4}"  # 020 7946 0958, 06 12 34 56 78
    r")(?![\w]|[.,/:-]\d)"
)


def _iban(value: str) -> int:
    return longest_prefix(value, stdnum_iban.is_valid, " ")


def _long_token(value: str) -> int:
    # Slugs and UUIDs are long too; a secret has a long unbroken run with digits that keeps
    # switching between lower case, upper case and digits.
    for seg in _TOKEN_SEP.split(value):
        kinds = [c.isdigit() + 2 * c.isupper() for c in seg]  # 0 lower, 1 digit, 2 upper
        switches = sum(kinds[i] != kinds[i - 1] for i in range(1, len(kinds)))
        if len(seg) >= 16 and 1 in kinds and set(kinds) - {1} and switches * 5 >= len(seg):
            return len(value)
    return 0


def _card(value: str) -> int:
    groups = tuple(len(g) for g in _CARD_SEP.split(value))
    digits = "".join(_CARD_SEP.split(value))
    # Cards start 2-6 (Mastercard, Amex, Visa, Discover...) and are printed in the issuers'
    # groupings with one separator style; other digit runs only pass Luhn by chance.
    ok = len(groups) == 1 or (groups in _CARD_LAYOUTS and len(set(_CARD_SEP.findall(value))) == 1)
    return len(value) if ok and digits[0] in "23456" and luhn.is_valid(digits) else 0


def _ipv4_ok(value: str) -> bool:
    return all(int(octet) <= 255 for octet in value.split("."))


def _ipv6(value: str) -> int:
    s = value
    if "." in s:  # embedded IPv4 (::ffff:192.0.2.1) counts as two groups
        s, _, v4 = s.rpartition(":")
        if not _ipv4_ok(v4):
            return 0
        s += ":0:0"
    if "::" in s:
        head, _, tail = s.partition("::")
        groups = (head.split(":") if head else []) + (tail.split(":") if tail else [])
        ok = "::" not in tail and len(groups) <= 7
    else:
        groups = s.split(":")
        ok = len(groups) == 8
    ok = ok and all(1 <= len(g) <= 4 for g in groups) and any(c.isdigit() for c in value)
    # Times like 09:12:00 never pass: no "::" and fewer than eight groups.
    return len(value) if ok else 0


def _phone(value: str) -> int:
    def ok(v: str) -> bool:
        n = sum(c.isdigit() for c in v)
        return 8 <= n <= 15 if "+" in v[:2] else 9 <= n <= 12

    return longest_prefix(value, ok, " .-")


EMAIL_RULE: Rule = ("EMAIL", EMAIL, whole)
IBAN_RULE: Rule = ("IBAN", _IBAN, _iban)
LONG_TOKEN_RULE: Rule = ("SECRET", _LONG_TOKEN, _long_token)
NUMBER_RULES: tuple[Rule, ...] = (
    ("CARD", _CARD, _card),
    ("IP", _IPV6, _ipv6),
    ("IP", _IPV4, lambda v: len(v) if _ipv4_ok(v) else 0),
    ("PHONE", _PHONE, _phone),
)
