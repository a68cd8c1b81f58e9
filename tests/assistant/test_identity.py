"""Identity verification: a signed customer context is trusted, anything else is a claim."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.identity import audiences, sign, trusted_plan, verify
from assistant.store.protocol import Customer

SECRET = "s3cret-shared-with-the-site"
ANA = Customer(id="u-42", email="ana@example.com", plan="pro", role="admin")


def test_a_context_signed_with_the_secret_is_verified() -> None:
    verified = verify(ANA, sign(ANA, SECRET), SECRET)
    assert verified.verified and trusted_plan(verified) == "pro"
    assert "internal" not in audiences(verified)


@pytest.mark.parametrize("changed", [
    {"plan": "enterprise"}, {"email": "boss@bigcustomer.example"}, {"role": "owner"},
    {"id": "u-43"},
])  # fmt: skip
def test_changing_any_signed_field_breaks_the_signature(changed: dict[str, str]) -> None:
    forged = dataclasses.replace(ANA, **changed)
    with pytest.raises(AnswerdeskError) as error:
        verify(forged, sign(ANA, SECRET), SECRET)
    assert error.value.code is ErrorCode.UNAUTHORIZED


def test_page_context_is_not_signed() -> None:
    elsewhere = dataclasses.replace(ANA, page_url="https://app.example/b", product_area="bank")
    assert verify(elsewhere, sign(ANA, SECRET), SECRET).verified


def test_without_a_signature_or_a_secret_the_context_is_only_a_claim() -> None:
    for signature, secret in (("", SECRET), (sign(ANA, SECRET), None)):
        claimed = verify(ANA, signature, secret)
        assert not claimed.verified and trusted_plan(claimed) == ""
        assert audiences(claimed) == audiences(Customer())  # a claimed plan unlocks nothing


def test_no_customer_ever_reads_internal_articles() -> None:
    everyone = [ANA, dataclasses.replace(ANA, verified=True, plan="enterprise")]
    assert all("internal" not in audiences(c) for c in everyone)
