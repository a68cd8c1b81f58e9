"""What a text is specifically about: the error codes, platforms and plans it names.

Two texts that name different ones must not be spliced into one answer: the fix for BANK-205
is not the fix for BANK-102, an iPhone setting is not an Android one, and a Pro limit is not a
Business limit. The extractive composer (`extractive.py`) compares the question's facets with
each passage's, and each section's with the answer's so far.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import CODE

_PLATFORM = {  # operating systems, and identity providers (a fix for one is not for another)
    "ios": "ios",
    "iphone": "ios",
    "ipad": "ios",
    "android": "android",
    "okta": "okta",
    "entra": "entra",
    "azure": "entra",
}
PLANS = ("Free", "Starter", "Pro", "Business", "Enterprise")
PLAN_WORDS = frozenset(p.lower() for p in PLANS)
_PLAN = re.compile(rf"\b({'|'.join(PLANS)})\b")


@dataclass(frozen=True)
class Facets:
    """What a text is specifically about: the things two texts must not disagree on."""

    codes: frozenset[str]
    platforms: frozenset[str]
    plans: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Facets:
        words = re.findall(r"[a-z]+", text.lower())
        return cls(
            frozenset(CODE.findall(text)),
            frozenset(_PLATFORM[w] for w in words if w in _PLATFORM),
            frozenset(_PLAN.findall(text)),
        )

    def contradicts(self, other: Facets, plans: bool = False) -> bool:
        """Both name error codes (or platforms) and none in common; or, with `plans`, each is
        about one plan, and not the same one. Texts naming several plans usually compare them."""
        pairs = [(self.codes, other.codes), (self.platforms, other.platforms)]
        if any(a and b and not a & b for a, b in pairs):
            return True
        return plans and len(self.plans) == len(other.plans) == 1 and self.plans != other.plans
