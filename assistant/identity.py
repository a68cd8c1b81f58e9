"""Who the customer is, as far as we can trust it: identity verification, and what it unlocks.

The embedding site signs the customer context it passes to the widget — the usual
identity-verification scheme: `HMAC-SHA256(secret, canonical JSON of id, email, plan, role)`,
hex-encoded, with a secret shared with this server (`ANSWERDESK_IDENTITY_SECRET`). A context
that checks out is `verified`; any other is what an anonymous browser claims. Unverified, the
context never raises a case's priority (`assistant.handoff.priority`) and is shown to agents
as unverified. What a customer may be answered from (`audiences`) is every customer-facing
article — a help center is public — and never one written for the support team (`internal`).
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


# The audiences customer-facing articles are written for: a help center's articles are public,
# whoever they are meant for (a free visitor reads what a paid plan offers, and is told so).
CUSTOMER_AUDIENCES = ("all", "free", "trial", "paid", "admin")


def audiences(customer: Customer) -> tuple[str, ...]:
    """The article audiences a customer may be answered from: every customer-facing one (and
    the verified plan's own, should it be a custom audience), never `internal`. A claimed plan
    or role unlocks nothing: it is not even read unless verified."""
    plan = trusted_plan(customer)
    extra = (plan,) if plan and plan not in PAID_PLANS and plan not in CUSTOMER_AUDIENCES else ()
    return (*CUSTOMER_AUDIENCES, *extra)
