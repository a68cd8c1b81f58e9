"""Who the customer is, as far as we can trust it: identity verification, and what it unlocks.

The embedding site signs the customer context it passes to the widget — the usual
identity-verification scheme: `HMAC-SHA256(secret, canonical JSON of id, email, plan, role)`,
hex-encoded, with a secret shared with this server (`ANSWERDESK_IDENTITY_SECRET`). A context
that checks out is `verified`; any other is what an anonymous browser claims. Unverified, the
context never raises a case's priority (`assistant.handoff.priority`) and never unlocks
plan- or role-restricted articles (`audiences`); it is shown to agents as unverified.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.protocol import Customer

SIGNED_FIELDS = ("id", "email", "plan", "role")
# Plans whose customers read the articles written for paying customers ("paid").
PAID_PLANS = frozenset({"starter", "pro", "business", "enterprise", "vip"})
# Articles for the support team only: never retrieved for a customer, whoever they are.
INTERNAL = "internal"


def canonical(customer: Customer) -> bytes:
    values = {name: getattr(customer, name) for name in SIGNED_FIELDS}
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()


def sign(customer: Customer, secret: str) -> str:
    """What the embedding site computes (documented in the README, with examples)."""
    return hmac.new(secret.encode(), canonical(customer), hashlib.sha256).hexdigest()


def verify(customer: Customer, signature: str, secret: str | None) -> Customer:
    """The customer, `verified` when `signature` signs it. A signature that does not match is
    refused (a misconfigured site should hear about it, not silently lose its customers' plans);
    no signature, or no secret configured, leaves the context unverified."""
    if not signature or not secret:
        return dataclasses.replace(customer, verified=False)
    if not hmac.compare_digest(sign(customer, secret), signature.strip().lower()):
        raise AnswerdeskError(
            ErrorCode.UNAUTHORIZED,
            "The customer context's signature does not match it: sign id, email, plan and "
            "role with the identity secret (see the README).",
        )
    return dataclasses.replace(customer, verified=True)


def trusted_plan(customer: Customer) -> str:
    """The plan, only when the embedding site vouched for it."""
    return customer.plan.lower() if customer.verified else ""


def audiences(customer: Customer) -> tuple[str, ...]:
    """The article audiences this customer may read: everyone's, plus their plan's and role's
    when verified. Never `internal`."""
    allowed = ["all"]
    plan = trusted_plan(customer)
    if plan:
        allowed.append("paid" if plan in PAID_PLANS else plan)
    if customer.verified and customer.role.lower() == "admin":
        allowed.append("admin")
    return tuple(allowed)
