"""The widget sends each message with an `Idempotency-Key` and retries under the same key: a
connection that drops after the server stored and answered the message does not store it
twice, and the customer sees the answer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import Pages
from tests.e2e.test_web_ui import ANSWERABLE, ask, open_widget

pytestmark = [pytest.mark.e2e, pytest.mark.server]


def test_a_dropped_connection_is_retried_under_the_same_key_and_stored_once(
    pages: Pages,
) -> None:
    page = pages.open("/")
    pages.allow("ERR_CONNECTION_RESET|ERR_FAILED")  # the dropped connection, as logged
    keys: list[str] = []

    def drop_the_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server stores the message and answers it ...
            route.abort("connectionreset")  # ... and the page never hears back
        else:
            route.continue_()

    page.route(re.compile(r"/messages$"), drop_the_first_answer)
    open_widget(page)
    ask(page, ANSWERABLE)
    assert len(keys) == 2 and keys[0] == keys[1] and len(keys[0]) >= 8, keys
    expect(page.locator(".msg.assistant").last.locator(".text")).not_to_be_empty()
    page.unroute(re.compile(r"/messages$"))

    page.reload()  # the thread as the server stored it
    open_widget(page)
    expect(page.locator(".msg.customer", has_text=ANSWERABLE)).to_have_count(1)
    expect(page.locator(".msg.assistant")).to_have_count(1)
