"""Signatures: a receiver can tell a delivery is ours, unchanged and recent."""

from __future__ import annotations

import pytest

from assistant.webhooks.signing import SignatureError, sign, verify

SECRET = "whsec_test-secret-0123456789"
BODY = b'{"id":"evt_1","type":"case.created"}'
NOW = 1_764_900_000


def test_a_signed_body_verifies_and_gives_its_timestamp() -> None:
    header = sign(SECRET, BODY, NOW)
    assert header.startswith(f"t={NOW},v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, BODY, now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("secret", "body", "why"),
    [
        ("whsec_another-secret-987654", BODY, "does not match"),
        (SECRET, BODY.replace(b"created", b"resolved"), "does not match"),
    ],
)
def test_another_secret_or_a_changed_body_is_refused(secret: str, body: bytes, why: str) -> None:
    with pytest.raises(SignatureError, match=why):
        verify(secret, sign(SECRET, BODY, NOW), body, now=NOW)


def test_a_replayed_delivery_outside_the_window_is_refused() -> None:
    header = sign(SECRET, BODY, NOW)
    with pytest.raises(SignatureError, match="replay window"):
        verify(SECRET, header, BODY, now=NOW + 301)
    assert verify(SECRET, header, BODY, now=NOW + 299) == NOW
    with pytest.raises(SignatureError, match="replay window"):
        verify(SECRET, header, BODY, now=NOW - 400)  # from the future: a clock far off


@pytest.mark.parametrize("header", ["", "v1=abc", "t=soon,v1=abc", f"t={NOW}", "garbage"])
def test_a_malformed_header_is_refused_with_a_reason(header: str) -> None:
    with pytest.raises(SignatureError, match="malformed"):
        verify(SECRET, header, BODY, now=NOW)


def test_any_of_several_signatures_may_match_while_a_secret_is_rotated() -> None:
    ours = sign(SECRET, BODY, NOW).split(",")[1]
    header = f"t={NOW},v1={'0' * 64},{ours}"
    assert verify(SECRET, header, BODY, now=NOW) == NOW
