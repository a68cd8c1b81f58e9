"""What every redaction rule is made of: a candidate pattern and a validator of what it found.

A rule finds candidates with a regular expression (only the named group ``v`` when it has one:
"password: [SECRET]" keeps the keyword) and a validator decides how much of each candidate to
replace. Validators are where precision lives: checksums, shapes, entropy.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# A validator gets the matched value and returns how many leading characters to redact (0 = none).
Accept = Callable[[str], int]
Rule = tuple[str, re.Pattern[str], Accept]  # placeholder kind, candidate pattern, validator


def whole(value: str) -> int:
    return len(value)


def longest_prefix(value: str, ok: Callable[[str], bool], seps: str) -> int:
    """Greedy patterns can swallow a following word or number ("... 0130 00 BIC"); retry the
    candidate cut back at separators rather than lose the whole match."""
    cuts = [len(value)] + [i for i in range(len(value) - 1, 0, -1) if value[i] in seps]
    return next((n for n in cuts if ok(value[:n])), 0)


def value(candidate: str, min_len: int, ok: Callable[[str], bool]) -> int:
    """A keyword's value, without trailing sentence punctuation; "****" is already masked."""
    v = candidate.rstrip(".,;:)")
    return len(v) if len(v) >= min_len and set(v) - set("*x") and ok(v) else 0


def secret_like(v: str) -> bool:
    """A password rather than a word: "hunter2", "Summer2026.", "x9!kLm2q", "tRoub4dor";
    not "expired", "Reset" or "correct"."""
    return not v.isalpha() or not v[1:].islower()
