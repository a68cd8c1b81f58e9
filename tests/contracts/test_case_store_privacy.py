"""Privacy in the case store, on SQLite and PostgreSQL: nothing is stored unredacted, whoever
writes it; purge deletes whole conversations gone quiet, erasure all of one customer's."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from assistant.errors import ErrorCode
from assistant.store import Customer, SqlCaseStore
from tests.contracts.helpers import CUSTOMER, TABLES, Clock, handed_off, new_case, refused

CARD, PASSWORD, IBAN = "4111 1111 1111 1111", "Hunter2-Secret!", "DE89 3704 0044 0532 0130 00"


def _database_text(store: SqlCaseStore) -> str:
    """Every stored value of the store's tables, as one text."""
    with store.engine.connect() as connection:
        return "\n".join(
            str(value)
            for table in sorted(TABLES)
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )


def test_nothing_is_stored_unredacted(store: SqlCaseStore) -> None:
    conversation = store.create_conversation(CUSTOMER).id
    said = store.add_message(
        conversation, "customer", f"I'm Maria Kowalska, card {CARD}, my password is {PASSWORD}"
    )
    assert said.text == "I'm [NAME], card [CARD], my password is [SECRET]"
    answer = store.add_message(conversation, "assistant", f"Mail help@tallybook.example ({CARD})")
    assert answer.text == "Mail help@tallybook.example ([CARD])"  # the desk's own address stays
    store.add_feedback(conversation, helpful=False, comment=f"refund to {IBAN}")
    case = store.open_case(
        conversation,
        new_case(summary={"issue": f"card {CARD}", "customer": {"email": CUSTOMER.email}}),
    ).id
    store.update_summary(case, {"also_reported": [f"pw: {PASSWORD}"]})
    store.claim(case, "alice")
    store.reply(case, "alice", f"Hi Maria, I removed card {CARD}")
    store.add_note(case, "alice", f"she gave password {PASSWORD}")
    store.resolve(case, "alice", f"Refunded to {IBAN}")
    store.reopen(case, "bob", f"customer sent {CARD} again")
    stored = _database_text(store)
    for raw in (CARD, PASSWORD, IBAN, "Kowalska"):
        assert raw not in stored
    assert CUSTOMER.email in stored  # the account stays
    summary = store.case(case).summary
    assert summary["issue"] == "card [CARD]" and summary["also_reported"] == ["pw: [SECRET]"]
    assert store.feedback(conversation)[0].comment == "refund to [IBAN]"
    texts = [m.text for m in store.case_transcript(case)]
    assert "Hi Maria, I removed card [CARD]" in texts  # replies keep the greeting
    assert "Reopened by bob: customer sent [CARD] again" in texts


def test_a_merge_note_keeps_the_ids_it_names(store: SqlCaseStore) -> None:
    duplicate, survivor = handed_off(store), handed_off(store)
    store.merge(duplicate, survivor, "alice")
    note = store.case_transcript(survivor)[-1].text
    assert store.case(duplicate).conversation_id in note  # a random hex id, not a [SECRET]


def _conversation(store: SqlCaseStore, customer: Customer = CUSTOMER) -> str:
    conversation = store.create_conversation(customer).id
    store.add_message(conversation, "customer", "My bank stopped syncing")
    return conversation


def test_purge_deletes_whole_conversations_inactive_since_the_cutoff(
    store: SqlCaseStore, clock: Clock
) -> None:
    quiet = _conversation(store)
    store.add_feedback(quiet, csat=2, comment="slow")
    solved = _conversation(store)
    solved_case = store.open_case(solved, new_case()).id
    store.claim(solved_case, "alice")
    store.resolve(solved_case, "alice", "Renewed the consent.")
    waiting = _conversation(store)
    store.open_case(waiting, new_case())  # never resolved: a person still owes an answer
    revived = _conversation(store)
    clock.advance(days=100)
    store.add_message(revived, "customer", "Still broken")
    recent = _conversation(store)
    cutoff = clock.now - timedelta(days=90)

    preview = store.purge(cutoff, dry_run=True)
    assert (preview.conversations, preview.messages, preview.cases, preview.feedback) == (
        2, 2, 1, 1,
    )  # fmt: skip
    assert len(store.list_conversations()) == 5
    assert store.purge(cutoff) == preview
    assert {c.id for c in store.list_conversations()} == {waiting, revived, recent}
    refused(ErrorCode.NOT_FOUND, lambda: store.transcript(quiet))
    refused(ErrorCode.NOT_FOUND, lambda: store.case(solved_case))
    assert store.purge(cutoff).conversations == 0
    refused(ErrorCode.INVALID_INPUT, lambda: store.purge(datetime(2026, 1, 1)), "timezone")


def test_a_kept_duplicate_outlives_the_purged_case_it_was_merged_into(
    store: SqlCaseStore, clock: Clock
) -> None:
    duplicate = handed_off(store, "sent twice")
    survivor = handed_off(store)
    store.merge(duplicate, survivor, "alice")
    store.claim(survivor, "alice")
    store.resolve(survivor, "alice", "Renewed the consent.")
    clock.advance(days=100)
    store.add_message(store.case(duplicate).conversation_id, "customer", "any news?")
    assert store.purge(clock.now - timedelta(days=90)).cases == 1
    kept = store.case(duplicate)
    assert (kept.status, kept.merged_into) == ("resolved", None)


def test_erasing_a_customer_deletes_all_their_conversations_and_nothing_else(
    store: SqlCaseStore,
) -> None:
    maria = Customer(email="Maria.Kowalska@Bakery.example")
    first, second = _conversation(store, maria), _conversation(store, maria)
    case = store.open_case(second, new_case()).id  # open cases go too
    store.add_feedback(first, helpful=True)
    other = _conversation(store)
    preview = store.erase_customer("maria.kowalska@bakery.example ", dry_run=True)
    assert (preview.conversations, preview.messages, preview.cases, preview.feedback) == (
        2, 2, 1, 1,
    )  # fmt: skip
    assert store.erase_customer("MARIA.KOWALSKA@bakery.example") == preview
    assert [c.id for c in store.list_conversations()] == [other]
    refused(ErrorCode.NOT_FOUND, lambda: store.case(case))
    assert store.erase_customer(maria.email).conversations == 0
    refused(ErrorCode.INVALID_INPUT, lambda: store.erase_customer("  "), "email")
