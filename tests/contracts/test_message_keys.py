"""What idempotent messages and their recovery ask of the store, on SQLite and PostgreSQL: a
client key finds its message and is unique in its conversation; `unanswered` finds exactly the
customer messages nobody will answer."""

from __future__ import annotations

from datetime import timedelta

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store import SqlCaseStore
from tests.contracts.helpers import CUSTOMER, Clock, new_case


def test_a_client_key_finds_its_message_in_its_conversation_only(store: SqlCaseStore) -> None:
    one = store.create_conversation(CUSTOMER).id
    two = store.create_conversation(CUSTOMER).id
    said = store.add_message(one, "customer", "Export hangs", meta={"client_key": "k-1"})
    store.add_message(one, "assistant", "Try this.")
    found = store.message_by_key(one, "k-1")
    assert found is not None and (found.id, found.text) == (said.id, "Export hangs")
    assert store.message_by_key(one, "k-2") is None
    assert store.message_by_key(two, "k-1") is None


def test_a_client_key_is_unique_in_its_conversation(store: SqlCaseStore) -> None:
    one = store.create_conversation(CUSTOMER).id
    two = store.create_conversation(CUSTOMER).id
    store.add_message(one, "customer", "Export hangs", meta={"client_key": "k-1"})
    try:
        store.add_message(one, "customer", "Export hangs", meta={"client_key": "k-1"})
    except AnswerdeskError as error:
        assert error.code is ErrorCode.CONFLICT
    else:
        raise AssertionError("a second message under the same key was stored")
    store.add_message(two, "customer", "Export hangs", meta={"client_key": "k-1"})
    store.add_message(one, "customer", "no key")
    store.add_message(one, "customer", "no key either")  # messages without a key: any number
    assert [m.text for m in store.transcript(one)] == ["Export hangs", "no key", "no key either"]


def test_annotating_a_message_adds_to_its_meta_and_keeps_its_text(store: SqlCaseStore) -> None:
    cid = store.create_conversation(CUSTOMER).id
    said = store.add_message(cid, "customer", "Export hangs", meta={"client_key": "k-1"})
    noted = store.annotate_message(said.id, {"intent": "question"})
    assert noted.meta == {"client_key": "k-1", "intent": "question"}
    assert store.transcript(cid)[0].meta == noted.meta and noted.text == "Export hangs"
    try:
        store.annotate_message(said.id + 1000, {"intent": "question"})
    except AnswerdeskError as error:
        assert error.code is ErrorCode.NOT_FOUND
    else:
        raise AssertionError("annotated a message that does not exist")


def test_unanswered_finds_the_customer_messages_nobody_will_answer(
    store: SqlCaseStore, clock: Clock
) -> None:
    def chat(*said: str) -> str:
        cid = store.create_conversation(CUSTOMER).id
        for text in said:
            speaker = "customer" if text.startswith("c:") else "assistant"
            store.add_message(cid, speaker, text)
        return cid

    orphan = chat("c:hello", "a:hi", "c:export hangs")  # the crash came before our reply
    chat("c:hello", "a:hi")  # answered
    queued = chat("c:a person please")
    store.open_case(queued, new_case())
    store.add_message(queued, "customer", "c:any news?")  # a person reads it in the queue
    claimed = chat("c:a person please")
    store.claim(store.open_case(claimed, new_case()).id, "alice")
    store.add_message(claimed, "customer", "c:still broken")  # the assistant stays silent
    with_note = chat("c:a person please")
    noted_case = store.open_case(with_note, new_case())
    store.claim(noted_case.id, "alice")
    store.resolve(noted_case.id, "alice", "Fixed the sync.")
    store.add_message(with_note, "customer", "c:one more thing")  # after the case was closed
    store.add_note(noted_case.id, "alice", "internal")  # a note is no answer
    before = clock.now + timedelta(seconds=1)
    clock.advance(minutes=5)
    chat("c:too young to call abandoned")

    found = store.unanswered(before)
    assert [(m.conversation_id, m.text) for m in found] == [
        (orphan, "c:export hangs"),
        (with_note, "c:one more thing"),
    ]
    assert store.unanswered(before, after_id=found[0].id) == found[1:]
    assert store.unanswered(before, limit=1) == found[:1]
    assert store.unanswered(before, since=found[1].created_at) == found[1:]
