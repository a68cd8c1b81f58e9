"""Conversations in the case store, on SQLite and PostgreSQL: a secret token, messages in
order with their citations, feedback, and the questions handed off or marked unhelpful as
content gaps."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import text

from assistant.errors import ErrorCode
from assistant.store import SqlCaseStore
from assistant.types import Citation
from tests.contracts.helpers import CUSTOMER, Clock, new_case, refused


def test_a_conversation_token_is_secret_and_only_its_hash_is_stored(store: SqlCaseStore) -> None:
    new = store.create_conversation(CUSTOMER)
    assert len(new.token) >= 40 and new.token != store.create_conversation(CUSTOMER).token
    conversation = store.conversation(new.id, new.token)
    assert conversation.customer == CUSTOMER and conversation.status == "active"
    assert conversation.created_at.tzinfo is not None
    refused(ErrorCode.NOT_FOUND, lambda: store.conversation(new.id, "guessed-token"), new.id)
    refused(ErrorCode.NOT_FOUND, lambda: store.conversation("nope"), "nope")
    with store.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM conversations WHERE id = :id"), {"id": new.id})
        stored = [str(value) for value in row.one()]
    assert new.token not in " ".join(stored)
    assert hashlib.sha256(new.token.encode()).hexdigest() in stored


def test_messages_keep_their_order_citations_and_confidence(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    citation = Citation(
        1, "article:bank", "Connect your bank", "https://h/x", "Steps", "article", "…"
    )
    store.add_message(conversation, "customer", "How do I reconnect my bank?")
    answer = store.add_message(
        conversation, "assistant", "Go to Banking → Connections [1].",
        citations=[citation], confidence=0.82,
    )  # fmt: skip
    messages = store.transcript(conversation)
    assert [(m.speaker, m.text) for m in messages] == [
        ("customer", "How do I reconnect my bank?"),
        ("assistant", "Go to Banking → Connections [1]."),
    ]
    assert messages[1] == answer and answer.citations == (citation,) and answer.confidence == 0.82
    assert messages[0].created_at < messages[1].created_at


def test_bad_messages_are_refused(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    refused(ErrorCode.INVALID_INPUT, lambda: store.add_message(conversation, "customer", "  "))
    refused(
        ErrorCode.INVALID_INPUT, lambda: store.add_message(conversation, "agent", "hi"), "reply()"
    )
    refused(
        ErrorCode.INVALID_INPUT,
        lambda: store.add_message(conversation, "assistant", "x", confidence=1.5),
    )
    refused(ErrorCode.NOT_FOUND, lambda: store.add_message("missing", "customer", "hi"))
    refused(ErrorCode.NOT_FOUND, lambda: store.transcript("missing"))


def test_feedback_records_helpful_csat_and_comment(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    answer = store.add_message(conversation, "assistant", "Reconnect under Banking.")
    store.add_feedback(conversation, helpful=True, message_id=answer.id)
    store.add_feedback(conversation, csat=4, comment=" Quick and right ")
    given = store.feedback(conversation)
    assert [(f.helpful, f.csat, f.comment, f.message_id) for f in given] == [
        (True, None, "", answer.id),
        (None, 4, "Quick and right", None),
    ]
    refused(ErrorCode.INVALID_INPUT, lambda: store.add_feedback(conversation, csat=0), "1 to 5")
    refused(ErrorCode.INVALID_INPUT, lambda: store.add_feedback(conversation, csat=6), "1 to 5")
    refused(ErrorCode.INVALID_INPUT, lambda: store.add_feedback(conversation))
    other = store.create_conversation(CUSTOMER).id
    refused(
        ErrorCode.NOT_FOUND, lambda: store.add_feedback(other, helpful=False, message_id=answer.id)
    )


# Content gaps


def test_content_gaps_are_the_questions_handed_off_for_lack_of_content_or_marked_unhelpful(
    store: SqlCaseStore, clock: Clock
) -> None:
    since = clock.now
    unsure = store.create_conversation(CUSTOMER).id
    store.add_message(
        unsure, "customer", "Can I export to Quillbox? I'm dana.whitfield@example.com"
    )
    intake = {"handoff": {"reasons": ["low_confidence"]}, "reasons": ["missing_information"]}
    store.add_message(unsure, "assistant", "Which account?", kind="intake", meta=intake)
    store.add_message(unsure, "customer", "cus_42, since Monday")  # details, not a question
    store.add_message(unsure, "assistant", "Passed on.", kind="handoff", meta=intake["handoff"])
    case = store.open_case(unsure, new_case()).id
    store.claim(case, "ana")
    store.resolve(case, "ana", "Quillbox export is under Settings → Integrations.")

    angry = store.create_conversation(CUSTOMER).id
    store.add_message(angry, "customer", "this is useless, get me a human")
    store.add_message(angry, "assistant", "Passed on.", kind="handoff", meta={"reasons": ["angry"]})

    rated = store.create_conversation(CUSTOMER).id
    store.add_message(rated, "customer", "how do I add a logo?")
    answer = store.add_message(rated, "assistant", "Use Templates.", kind="answer")
    store.add_feedback(rated, helpful=False, message_id=answer.id)

    gaps = store.gap_questions(since, clock.now + timedelta(minutes=1))
    assert [(g.conversation_id, g.signal) for g in gaps] == [
        (unsure, "handoff"),
        (rated, "unhelpful"),
    ]
    assert "dana.whitfield@example.com" not in gaps[0].text  # redacted like every export
    assert gaps[0].resolution.startswith("Quillbox export") and gaps[1].resolution == ""
    assert store.gap_questions(clock.now + timedelta(days=1), clock.now + timedelta(days=2)) == []
