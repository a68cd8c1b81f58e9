"""With Redis, rate limits hold across workers and nodes: every process counts in one window.

Runs against the machine's Redis (`ANSWERDESK_TEST_REDIS_URL`, default 127.0.0.1:6379) and
fails, not skips, when it is missing: a shared limit tested against a fake proves nothing.
"""

from __future__ import annotations

import logging
import uuid

import pytest

from assistant.errors import AnswerdeskError
from server.limits import RateLimiter, make_limiter
from server.shared_limits import SharedRateLimiter
from tests.server.helpers import MakeClient, say, start
from tests.server.nodes import REDIS, redis_reachable

DEAD_REDIS = "redis://127.0.0.1:1/0"
__all__ = ["redis_reachable"]  # fails the module when Redis is missing


def two_nodes() -> tuple[SharedRateLimiter, SharedRateLimiter]:
    prefix = f"test-{uuid.uuid4().hex}"  # a fresh set of windows for each test
    return SharedRateLimiter(REDIS, prefix), SharedRateLimiter(REDIS, prefix)


def test_a_limit_counts_requests_from_every_node_once() -> None:
    a, b = two_nodes()
    limits = (("conversation", "c-1", 3), ("ip", "1.2.3.4", 5))
    a.admit(*limits)
    b.admit(*limits)
    a.admit(*limits)
    with pytest.raises(AnswerdeskError, match="Too many messages") as refused:
        b.admit(*limits)
    assert 1 <= refused.value.retry_after <= 60  # type: ignore[attr-defined]
    # The refusal used no budget: the address has room for exactly two more elsewhere.
    a.admit(("conversation", "c-2", 3), ("ip", "1.2.3.4", 5))
    b.admit(("conversation", "c-3", 3), ("ip", "1.2.3.4", 5))
    with pytest.raises(AnswerdeskError, match="from your network"):
        a.admit(("conversation", "c-4", 3), ("ip", "1.2.3.4", 5))


def test_without_redis_each_process_counts_its_own() -> None:
    assert isinstance(make_limiter(None), RateLimiter)
    assert isinstance(make_limiter(REDIS), SharedRateLimiter)


def test_redis_down_admits_the_customer_and_says_so_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = SharedRateLimiter(DEAD_REDIS)
    with caplog.at_level(logging.WARNING, logger="answerdesk.limits"):
        for _ in range(3):
            limiter.admit(("conversation", "c-1", 1))
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once a message


def test_two_apps_sharing_redis_share_a_conversations_limit(make_client: MakeClient) -> None:
    """Two server processes over one store and one Redis: the conversation's third message
    in the minute is refused whichever process receives it."""
    settings = {
        "redis_url": REDIS,
        "rate_limit_conversation_per_minute": 2,
        "rate_limit_ip_per_minute": 1000,
    }
    node_a, node_b = make_client(**settings), make_client(**settings)
    chat = start(node_a)
    say(node_a, chat, "hello")
    say(node_b, chat, "are you there?")
    refused = node_a.post(chat.url("/messages"), json={"text": "again"}, headers=chat.headers)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
