"""Finding cases, on SQLite and PostgreSQL: by words said in the conversation, the customer,
the issue or the number; and a verified customer's earlier cases, never an unverified one's."""

from __future__ import annotations

from assistant.store import Customer, SqlCaseStore
from tests.contracts.helpers import Clock, new_case


def case_of(store: SqlCaseStore, customer: Customer, *said: str, issue: str = "") -> int:
    conversation = store.create_conversation(customer).id
    for text in said:
        store.add_message(conversation, "customer", text)
    summary = {"issue": issue or said[0]}
    return store.open_case(conversation, new_case(summary=summary)).id


KIM = Customer(id="u-17", email="kim@example.com", verified=True)
LEE = Customer(email="lee@example.com")


def test_cases_are_found_by_every_word_said(store: SqlCaseStore, clock: Clock) -> None:
    export = case_of(store, KIM, "My CSV export hangs at 90 percent", "It is the VAT report")
    clock.advance(minutes=1)
    bank = case_of(store, LEE, "Bank feed BANK-102 stopped syncing")
    clock.advance(minutes=1)
    other = case_of(store, LEE, "The export button is grey")
    found = lambda q: [c.id for c in store.search_cases(q)]  # noqa: E731
    assert found("export hangs") == [export]  # every word, in one message
    assert found("export") == [other, export]  # newest first
    assert found("BANK-102") == [bank] and found("bank-102") == [bank]
    assert found("vat report") == [export]  # a later message of the conversation
    assert found("hangs grey") == []
    assert found('"; DROP TABLE cases; --') == [] and found("  ") == []
    assert found("AND OR NOT (") == []  # search syntax is only words


def test_cases_are_found_by_customer_issue_and_number(store: SqlCaseStore) -> None:
    first = case_of(store, KIM, "Invoices won't send", issue="Invoice emails bounce")
    second = case_of(store, LEE, "Help with reports")
    assert [c.id for c in store.search_cases("KIM@example.com")] == [first]
    assert [c.id for c in store.search_cases("u-17")] == [first]
    assert [c.id for c in store.search_cases("emails bounce")] == [first]
    assert [c.id for c in store.search_cases(f"#{second}")] == [second]


def test_a_verified_customers_earlier_cases_and_nobody_elses(
    store: SqlCaseStore, clock: Clock
) -> None:
    old = case_of(store, KIM, "Exports hang")
    store.claim(old, "alice")
    store.resolve(old, "alice", "Export one year at a time.")
    clock.advance(days=3)
    impostor = case_of(store, Customer(id="u-17", email="kim@example.com"), "I am Kim, honest")
    clock.advance(days=1)
    current = case_of(store, KIM, "Exports hang again")
    assert [c.id for c in store.earlier_cases(current)] == [old]
    assert store.earlier_cases(impostor) == []  # unverified: no history shown
    lee = case_of(store, LEE, "Bank feed")
    assert store.earlier_cases(lee) == []
