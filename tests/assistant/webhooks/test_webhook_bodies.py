"""What a receiver gets: the event as recorded, or a Slack message; never a secret or a card."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from assistant.store.events import Event, EventType
from assistant.webhooks.bodies import body, headline, ping, slack_message

WHEN = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def case_event(type_: EventType = "case.created", **case: Any) -> Event:
    values = {
        "id": 42, "conversation_id": "c1", "status": "open", "priority": 0.9,
        "priority_label": "urgent", "priority_reasons": ["angry", "asked for a person"],
        "category": "billing", "queue": "billing", "tags": [],
        "summary": {"issue": "Charged twice for <December> & more"}, "claimed_by": None,
        "resolution": None, "merged_into": None, "created_at": WHEN.isoformat(),
        "sla_due_at": None, "resolved_at": None,
    }  # fmt: skip
    return Event(7, "evt_abc", type_, "c1", 42, {"case": {**values, **case}}, WHEN)


def message_event(text: str, speaker: str = "customer") -> Event:
    message = {
        "id": 3, "conversation_id": "c1", "speaker": speaker, "kind": "message", "author": "",
        "text": text, "internal": speaker == "note", "created_at": WHEN.isoformat(),
    }  # fmt: skip
    return Event(
        8, "evt_def", "message.created", "c1", 42, {"message": message, "case_id": 42}, WHEN
    )


def test_the_json_body_is_the_event_with_its_id_type_and_time() -> None:
    sent = json.loads(body(case_event(), "json"))
    assert sent["id"] == "evt_abc" and sent["type"] == "case.created"
    assert sent["created_at"] == "2026-12-05T09:30:00+00:00"
    assert sent["data"]["case"]["id"] == 42 and sent["data"]["case"]["queue"] == "billing"


def test_secrets_and_card_numbers_never_leave_whatever_was_stored() -> None:
    leaky = message_event(
        "my card 4111 1111 1111 1111 and key sk_live_51H8abcdefghijklmnopqrstuv", "agent"
    )
    for format_ in ("json", "slack"):
        sent = body(leaky, format_).decode()  # type: ignore[arg-type]
        assert "4111 1111" not in sent and "sk_live_51H8" not in sent
        assert "[CARD]" in sent


def test_a_slack_message_for_a_new_urgent_case_links_the_console() -> None:
    message = slack_message(case_event(), "https://support.example.com/")
    assert message["text"].startswith("New urgent case #42 — Charged twice")
    section, context = message["blocks"]
    assert section["text"]["text"].startswith(":rotating_light: *New urgent case #42")
    assert "&lt;December&gt; &amp; more" in section["text"]["text"]  # Slack's control chars
    texts = [e["text"] for e in context["elements"]]
    assert texts[0] == "Queue: billing · Category: billing"
    assert texts[1] == "Why: angry; asked for a person"
    assert texts[2] == "<https://support.example.com/agent#case-42|Open in the console>"


def test_headlines_tell_people_what_happened() -> None:
    assert headline(case_event("case.claimed", claimed_by="alice")).startswith(
        "Case claimed by alice: #42"
    )
    assert headline(message_event("Any news?")) == "New customer message on case #42: Any news?"
    assert headline(message_event("Refund id R-1", "note")).startswith("Internal note on case #42")
    assert "reachable" in headline(ping()) and ping().key.startswith("evt_test_")
    long = headline(message_event("word " * 200))
    assert len(long) < 360 and long.endswith("…")
