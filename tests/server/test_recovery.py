"""A customer message that a crash left unanswered is handed to a person, once, with the reason
`backend_unavailable`: at start-up and by the sweeps that follow."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from assistant.desk import HelpDesk
from assistant.store.protocol import Customer
from server.recovery import recover, sweep
from tests.server.helpers import run_async

LOST = "My invoice export hangs at 99% since this morning"


def orphan(desk: HelpDesk) -> str:
    """A conversation whose last message was stored and never answered (the worker died)."""
    conversation = desk.store.create_conversation(Customer(email="kim@example.com"))
    desk.store.add_message(conversation.id, "customer", "Hello")
    desk.store.add_message(conversation.id, "assistant", "Hi! How can I help?")
    desk.store.add_message(conversation.id, "customer", LOST)
    return conversation.id


def test_a_message_left_unanswered_is_handed_off_once(sample_desk: HelpDesk) -> None:
    clock: Any = sample_desk.now  # the fixture's settable clock
    lost = orphan(sample_desk)
    deadline = timedelta(seconds=40)
    assert sweep(sample_desk, clock.at - deadline) == 0  # too young: its turn may still answer
    clock.at += timedelta(minutes=2)
    assert sweep(sample_desk, clock.at - deadline) == 1
    transcript = sample_desk.store.transcript(lost)
    assert [(m.speaker, m.text) for m in transcript[:3]] == [
        ("customer", "Hello"),
        ("assistant", "Hi! How can I help?"),
        ("customer", LOST),  # kept once
    ]
    reply = transcript[3]
    assert (reply.speaker, reply.kind, reply.meta["reasons"]) == (
        "assistant",
        "handoff",
        ["backend_unavailable"],
    )
    (case,) = sample_desk.store.list_cases(conversation_id=lost)
    assert "backend_unavailable" in case.tags and case.status == "open"
    assert reply.meta["case_id"] == case.id
    assert sweep(sample_desk, clock.at - deadline) == 0  # answered now: never twice
    assert len(sample_desk.store.transcript(lost)) == 4


def test_the_server_sweeps_at_start_up_and_keeps_sweeping(sample_desk: HelpDesk) -> None:
    clock: Any = sample_desk.now  # the fixture's settable clock
    lost = orphan(sample_desk)
    clock.at += timedelta(minutes=2)

    async def serve_a_moment() -> None:
        task = asyncio.create_task(recover(sample_desk, 0.05))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len(sample_desk.store.transcript(lost)) == 4:
                break
        task.cancel()

    run_async(serve_a_moment)
    assert [m.speaker for m in sample_desk.store.transcript(lost)] == [
        "customer",
        "assistant",
        "customer",
        "assistant",
    ]
