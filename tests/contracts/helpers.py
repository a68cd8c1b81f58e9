"""Helpers for the CaseStore contract: a store clock, a customer, a case handed off, and
the refusal every wrong call must be."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store import Customer, NewCase, SqlCaseStore

TABLES = {"conversations", "messages", "cases", "feedback"}
T = TypeVar("T")


class Clock:
    """Store time that moves one second per call, and further on request."""

    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


CUSTOMER = Customer(
    id="cus_42",
    email="dana.whitfield@example.com",
    plan="pro",
    product_area="banking",
    locale="en",
    page_url="https://app.tallybook.example/banking",
)


def new_case(**overrides: Any) -> NewCase:
    values: dict[str, Any] = {
        "summary": {"subject": "Bank sync stopped", "tried": ["reconnect"]},
        "priority": 0.5,
        "category": "banking",
        "queue": "tier1",
        "reasons": ("asked for a human",),
    }
    return NewCase(**{**values, **overrides})


def handed_off(store: SqlCaseStore, text: str = "My bank stopped syncing", **case: Any) -> int:
    conversation = store.create_conversation(CUSTOMER)
    store.add_message(conversation.id, "customer", text)
    return store.open_case(conversation.id, new_case(**case)).id


def refused(code: ErrorCode, call: Callable[[], T], *fragments: str) -> str:
    with pytest.raises(AnswerdeskError) as caught:
        call()
    assert caught.value.code is code, caught.value.message
    for fragment in fragments:
        assert fragment in caught.value.message
    return caught.value.message
