"""Signatures: a receiver knows a delivery came from this desk, unchanged and recent.

    Answerdesk-Signature: t=1764900000,v1=5f2c…

`v1` is the hex HMAC-SHA256, keyed by the subscription's secret, of `"{t}.{body}"`. Signing the
timestamp with the body lets a receiver refuse a replayed delivery: `verify()` rejects one older
(or newer) than its tolerance, 5 minutes by default. Several `v1` values may appear while a
secret is being rotated; any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Answerdesk-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The delivery is not signed with this secret, or is outside the replay window."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> int:
    """The signed timestamp, when `header` signs `body` with `secret` within `tolerance`
    seconds of `now`; else `SignatureError` saying why."""
    fields = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key == "t"]
    signatures = [value for key, _, value in fields if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        raise SignatureError(f"{HEADER} is malformed: expected t=<unix time>,v1=<hex>")
    timestamp = int(stamps[0])
    expected = sign(secret, body, timestamp).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureError("the signature does not match the body and secret")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("the signature is outside the replay window")
    return timestamp
