"""The redaction pass: rules in a fixed order, each replacement a frozen ``[KIND]`` placeholder.

Later rules never look into a placeholder (nor into placeholders already in the input), so
output is never nested and ``redact`` is idempotent. The order:

1. SECRET with a recognisable shape or keyword (secrets.py): first, because tokens contain
   digit runs, dots and ``@`` that later rules would split.
2. EMAIL: before names and phones, whose parts often appear inside addresses.
3. IBAN (checksummed): before the long-string and card rules, which would claim its digits.
4. NATIONAL_ID (ids.py): before cards and phones, which would claim its digits.
5. SECRET for long high-entropy strings.
6. CARD (Luhn), then IP: their digit runs would otherwise look like phone numbers.
7. PHONE: the loosest numeric rule, so it only sees what the checksummed rules left.
8. NAME: needs the names (given, or found by names.py); last, as names cannot hide other PII.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from assistant.redaction.ids import ID_RULES
from assistant.redaction.names import name_pattern
from assistant.redaction.patterns import EMAIL_RULE, IBAN_RULE, LONG_TOKEN_RULE, NUMBER_RULES
from assistant.redaction.secrets import SECRET_RULES
from assistant.redaction.values import Rule, whole


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[str, int]  # placeholder kind -> number of replacements, e.g. {"EMAIL": 2}


_PLACEHOLDER = re.compile(r"(\[[A-Z][A-Z_]*\])")  # the group keeps placeholders in re.split
RULES: tuple[Rule, ...] = (
    *SECRET_RULES,
    EMAIL_RULE,
    IBAN_RULE,
    *ID_RULES,
    LONG_TOKEN_RULE,
    *NUMBER_RULES,
)
KINDS = frozenset({kind for kind, _, _ in RULES} | {"NAME"})

# A piece of text and whether it is a placeholder (frozen: no rule may look inside it).
_Piece = tuple[str, bool]


def _apply(pieces: list[_Piece], rule: Rule, counts: dict[str, int]) -> list[_Piece]:
    kind, pattern, accept = rule
    out: list[_Piece] = []
    for chunk, frozen in pieces:
        if frozen:
            out.append((chunk, True))
            continue
        pos = scan = 0
        while (m := pattern.search(chunk, scan)) is not None:
            start, end = m.span("v") if "v" in pattern.groupindex else m.span()
            n = accept(chunk[start:end])
            # A value cut short ("536-90-4399" of "536-90-4399 and BSN 111222333") leaves the
            # rest of the match to be searched again.
            scan = max(m.end(), m.start() + 1) if n == 0 else start + n
            if n == 0:
                continue
            out += [(chunk[pos:start], False), (f"[{kind}]", True)]
            pos = start + n
            counts[kind] = counts.get(kind, 0) + 1
        out.append((chunk[pos:], False))
    return [p for p in out if p[0]]


def redact(text: str, names: Iterable[str] = (), *, keep: Collection[str] = ()) -> Redacted:
    """Replace PII and secrets in ``text`` with ``[KIND]`` placeholders, except the kinds in
    ``keep``; ``names`` are people to remove wherever they are mentioned."""
    pieces = [(chunk, i % 2 == 1) for i, chunk in enumerate(_PLACEHOLDER.split(text))]
    counts: dict[str, int] = {}
    for rule in RULES:
        if rule[0] not in keep:
            pieces = _apply(pieces, rule, counts)
    pattern = name_pattern(names) if "NAME" not in keep else None
    if pattern is not None:
        pieces = _apply(pieces, ("NAME", pattern, whole), counts)
    return Redacted("".join(chunk for chunk, _ in pieces), counts)
