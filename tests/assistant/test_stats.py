"""Support statistics: pure functions over stored rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.stats import ContentGap, Csat, desk_stats
from assistant.store.protocol import Case, Conversation, Customer, Feedback, StoredMessage

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ids = iter(range(1, 1000))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def msg(
    conversation: str, speaker: str, seconds: float, kind: str = "", **meta: Any
) -> StoredMessage:
    return StoredMessage(
        next(ids),
        conversation,
        speaker,
        "text",
        at(seconds),
        kind=kind,
        meta=meta,  # type: ignore[arg-type]
    )


def conv(conversation: str) -> Conversation:
    return Conversation(conversation, Customer(), "active", T0)


def case(conversation: str, seconds: float, **summary: Any) -> Case:
    return Case(
        next(ids), conversation, "open", 0.5, (), "general", "support", summary, (), at(seconds)
    )


def feedback(conversation: str, csat: int | None) -> Feedback:
    return Feedback(conversation, T0, csat=csat)


RELATED = [{"document_id": "article:a", "title": "Refunds"}, {"document_id": "faq:b"}]


def test_rates_count_only_conversations_where_the_customer_wrote() -> None:
    messages = [
        msg("answered", "customer", 0, "message"),
        msg("answered", "assistant", 1, "answer"),
        msg("handed", "customer", 0, "message"),
        msg("handed", "assistant", 2, "answer"),  # answered first, then handed off
        msg("handed", "customer", 10, "message"),
        msg("handed", "assistant", 12, "handoff", reasons=["angry"]),
        msg("asked", "customer", 0, "message"),
        msg("asked", "assistant", 1, "clarify"),
    ]
    stats = desk_stats(
        [conv(c) for c in ("answered", "handed", "asked", "silent")],
        messages,
        [case("handed", 12)],
        [],
    )
    assert stats.conversations == 4
    assert stats.self_service_rate == round(1 / 3, 4)  # only "answered"
    assert stats.handoff_rate == round(1 / 3, 4)
    assert stats.handoff_by_reason == {"angry": 1}  # read from the hand-off message
    assert stats.median_seconds_to_handoff == 12.0
    assert stats.median_seconds_to_first_agent_reply is None


def test_no_customer_messages_means_no_rates() -> None:
    stats = desk_stats([conv("x")], [], [], [])
    assert (stats.self_service_rate, stats.handoff_rate) == (None, None)
    assert stats.csat == Csat(None, 0) and stats.content_gaps == []


def test_reasons_come_from_the_summary_once_per_case() -> None:
    cases = [
        case("a", 5, handoff_reasons=["angry", "policy:refund", "angry"]),
        case("b", 5, handoff_reasons=["policy:refund"]),
        case("c", 5),
    ]
    stats = desk_stats([], [], cases, [])
    assert stats.handoff_by_reason == {"policy:refund": 2, "angry": 1, "unknown": 1}


def test_timings_are_medians_from_the_first_customer_message_and_to_the_first_agent_reply() -> None:
    messages = [
        msg("a", "customer", 0),
        msg("a", "agent", 50),  # the first agent reply after the case opened at 30
        msg("a", "agent", 500),
        msg("b", "customer", 100),
        msg("b", "agent", 150),  # before the case: not a reply to it
        msg("b", "agent", 400),
        msg("c", "customer", 0),
    ]
    stats = desk_stats([], messages, [case("a", 30), case("b", 160), case("c", 90)], [])
    assert stats.median_seconds_to_handoff == 60.0  # of 30, 60, 90
    assert stats.median_seconds_to_first_agent_reply == 130.0  # of 20 and 240


def test_csat_averages_the_scores_given() -> None:
    stats = desk_stats([], [], [], [feedback("a", 5), feedback("a", None), feedback("b", 2)])
    assert stats.csat == Csat(3.5, 2)


def test_content_gaps_are_the_articles_shown_when_unsure_most_often_first() -> None:
    messages = [
        msg("a", "assistant", 1, "handoff", related=RELATED),
        msg("b", "assistant", 1, "handoff", related=RELATED[:1]),
        msg("c", "assistant", 1, "answer", related=[]),
        msg("d", "customer", 1, related=RELATED),  # only the assistant's messages count
    ]
    assert desk_stats([], messages, [], []).content_gaps == [
        ContentGap("article:a", "Refunds", 2),
        ContentGap("faq:b", "faq:b", 1),
    ]
    assert len(desk_stats([], messages, [], [], gaps=1).content_gaps) == 1


def test_a_chat_left_at_an_intake_question_is_not_self_service() -> None:
    thread = [
        msg("c1", "customer", 0), msg("c1", "assistant", 1, "answer"),
        msg("c1", "customer", 9), msg("c1", "assistant", 10, "intake"),
    ]  # fmt: skip
    assert desk_stats([conv("c1")], thread, [], []).self_service_rate == 0.0
