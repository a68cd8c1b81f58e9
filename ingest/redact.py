"""Redact PII and secrets from support-case text before it is embedded.

Rules run in a fixed order, and every replacement becomes a frozen ``[KIND]`` placeholder that
later rules never look into (nor into placeholders already in the input), so output is never
nested and ``redact`` is idempotent:

1. SECRET with a recognisable shape (known key prefixes, JWTs, ``Bearer x``, ``password=x``):
   first, because tokens contain digit runs, dots and ``@`` that later rules would split.
2. EMAIL: before names and phones, whose parts often appear inside addresses.
3. IBAN (mod-97 checked): before the long-string and card rules, which would claim its digits.
4. SECRET for long high-entropy strings.
5. CARD (Luhn checked), then IP: their digit runs would otherwise look like phone numbers.
6. PHONE: the loosest numeric rule, so it only sees what the checksummed rules left.
7. NAME: needs the caller's names; last, as names cannot hide other PII.

Numeric rules are anchored so that dates, times, money, versions, ids like INV-2026-0042 and
order numbers survive: precision matters as much as recall for retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[str, int]  # placeholder kind -> number of replacements, e.g. {"EMAIL": 2}


# A validator gets the matched value and returns how many leading characters to redact (0 = none).
_Accept = Callable[[str], int]

_PLACEHOLDER = re.compile(r"(\[[A-Z][A-Z_]*\])")  # the group keeps placeholders in re.split

_PREFIXED = re.compile(
    r"(?<![\w-])(?:tb_(?:live|test)_[A-Za-z0-9_]{8,}"
    r"|sk-[A-Za-z0-9_-]{16,}|[sr]k_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}(?![0-9A-Z])"
    r"|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,})"
)
# Only the value is replaced; the keyword stays so the text still says what was removed.
_BEARER = re.compile(r"\b(?i:bearer)\s+(?P<v>[A-Za-z0-9._~+/-]+=*)")
# Keywords may sit inside identifiers: DB_PASSWORD=, aws_secret_access_key =, x-api-key:.
# The identifier around them is bounded so a long pasted blob cannot cost quadratic time.
_PASSWORD = re.compile(
    r"(?i)(?<![\w-])[\w-]{0,32}?(?:password|passwd|pwd|passphrase|passcode)[\w-]{0,32}"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?(?P<v>[^\s\"']+)"
)
_KEYED = re.compile(
    r"(?i)(?<![\w-])[\w-]{0,32}?(?:secret|api[_ -]?key|token)[\w-]{0,32}"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?(?P<v>[^\s\"']+)"
)
_EMAIL = re.compile(
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

# Names match accent-insensitively: help desks often store "Roisin Keane" for "Róisín".
_ACCENTS = "àáâãäåāăą:a çćč:c ď:d èéêëēęě:e ìíîïī:i ł:l ñńň:n òóôõöøōő:o ř:r śšş:s ť:t"
_ACCENTS += " ùúûüūůű:u ýÿ:y źżž:z"
_VARIANTS = {plain: plain + marked for marked, plain in (g.split(":") for g in _ACCENTS.split())}
_FOLD = str.maketrans({m: plain for plain, chars in _VARIANTS.items() for m in chars[1:]})

# Name parts that are everyday words or product terms: redacting them alone would damage
# tickets ("mark as paid", "Sync now", "Pro plan"), so only the full name is redacted.
_COMMON_WORDS = frozenset(  # one readable block rather than ninety quoted strings
    """
    will may mark bill grant sage chase page sync pro june april august summer rose hope grace
    joy faith dawn ray guy jack frank rich art don dean drew penny cash price bank banks king
    young long short green brown white black gray grey hall wood stone hill lane ward bell day
    cross fox gold little rice ford sterling max amber ruby ivy iris pat sue jan van von der
    den del des mrs miss prof team sales support admin owner paypal stripe invoice credit order
    case free basic plus starter business best love park hunt cook march north south east west
    """.split()  # noqa: SIM905
)


def _luhn_ok(digits: str) -> bool:
    nums = [int(c) for c in reversed(digits)]
    return (sum(nums[::2]) + sum(d * 2 - 9 if d > 4 else d * 2 for d in nums[1::2])) % 10 == 0


def _longest_prefix(value: str, ok: Callable[[str], bool], seps: str) -> int:
    # Greedy patterns can swallow a following word or number ("... 0130 00 BIC"); retry the
    # candidate cut back at separators rather than lose the whole match.
    cuts = [len(value)] + [i for i in range(len(value) - 1, 0, -1) if value[i] in seps]
    return next((n for n in cuts if ok(value[:n])), 0)


def _value(value: str, min_len: int, ok: Callable[[str], bool]) -> int:
    # Trailing sentence punctuation is not part of the value; "****" is already masked.
    v = value.rstrip(".,;:)")
    return len(v) if len(v) >= min_len and set(v) - set("*x") and ok(v) else 0


def _iban(value: str) -> int:
    def ok(v: str) -> bool:
        s = v.replace(" ", "")  # ISO 13616: move the first four to the end, letters to 10..35
        return len(s) >= 15 and int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1

    return _longest_prefix(value, ok, " ")


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
    return len(value) if ok and digits[0] in "23456" and _luhn_ok(digits) else 0


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

    return _longest_prefix(value, ok, " .-")


_Rule = tuple[str, re.Pattern[str], _Accept]  # placeholder kind, candidate pattern, validator
_RULES: tuple[_Rule, ...] = (
    ("SECRET", _PREFIXED, len),
    # Prose ("Bearer tokens expire", "Password: reset fails") and examples ("Bearer tb_live_...")
    # stay: real values are long or contain digits, symbols or inner capitals.
    ("SECRET", _BEARER, lambda v: _value(v, 16, lambda t: len(t) >= 20 or not t.isalpha())),
    ("SECRET", _PASSWORD, lambda v: _value(v, 4, lambda t: not t.isalpha() or not t[1:].islower())),
    ("SECRET", _KEYED, lambda v: _value(v, 8, lambda t: any(c.isdigit() for c in t))),
    ("EMAIL", _EMAIL, len),
    ("IBAN", _IBAN, _iban),
    ("SECRET", _LONG_TOKEN, _long_token),
    ("CARD", _CARD, _card),
    ("IP", _IPV6, _ipv6),
    ("IP", _IPV4, lambda v: len(v) if _ipv4_ok(v) else 0),
    ("PHONE", _PHONE, _phone),
)

# A piece of text and whether it is a placeholder (frozen: no rule may look inside it).
_Piece = tuple[str, bool]


def _apply(pieces: list[_Piece], rule: _Rule, counts: dict[str, int]) -> list[_Piece]:
    kind, pattern, accept = rule
    out: list[_Piece] = []
    for chunk, frozen in pieces:
        if frozen:
            out.append((chunk, True))
            continue
        pos = 0
        for m in pattern.finditer(chunk):
            start, end = m.span("v") if "v" in pattern.groupindex else m.span()
            n = accept(chunk[start:end])
            if n == 0:
                continue
            out += [(chunk[pos:start], False), (f"[{kind}]", True)]
            pos = start + n
            counts[kind] = counts.get(kind, 0) + 1
        out.append((chunk[pos:], False))
    return [p for p in out if p[0]]


def _fuzzy(folded: str) -> str:
    return "".join(f"[{_VARIANTS[c]}]" if c in _VARIANTS else re.escape(c) for c in folded)


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    alternatives: dict[str, int] = {}  # pattern -> length of the name it matches
    for name in [names] if isinstance(names, str) else names:  # a lone str is one name
        words = (w.strip(".,;").casefold().translate(_FOLD) for w in name.split())
        parts = [w for w in words if w]
        if not parts:
            continue
        alternatives[r"\s+".join(map(_fuzzy, parts))] = len(" ".join(parts))
        # "Anna-Lena" is also mentioned as "Anna" or "Lena".
        for part in {*parts, *(sub for p in parts for sub in p.split("-"))}:
            if sum(c.isalpha() for c in part) >= 3 and part not in _COMMON_WORDS:
                alternatives[_fuzzy(part)] = len(part)
    if not alternatives:
        return None
    # Longest first so "Tom Becker" wins over "Tom" and yields one placeholder, not two.
    ordered = sorted(alternatives, key=alternatives.__getitem__, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)", re.IGNORECASE)


def redact(text: str, names: Iterable[str] = ()) -> Redacted:
    """Replace PII and secrets in ``text`` with ``[KIND]`` placeholders; see the module doc."""
    pieces = [(chunk, i % 2 == 1) for i, chunk in enumerate(_PLACEHOLDER.split(text))]
    counts: dict[str, int] = {}
    for rule in _RULES:
        pieces = _apply(pieces, rule, counts)
    name_pattern = _name_pattern(names)
    if name_pattern is not None:
        pieces = _apply(pieces, ("NAME", name_pattern, len), counts)
    return Redacted("".join(chunk for chunk, _ in pieces), counts)
