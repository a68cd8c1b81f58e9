"""One customer turn, read as a dialogue: no traps, and a case that names the real issue."""

from __future__ import annotations

import pytest

from assistant.desk import HelpDesk
from assistant.store.protocol import Customer

BANK = "hi, my bank feed stopped updating and there's a warning saying BANK-102"
HOW_TO = "How do I turn on two-factor authentication?"
FED_UP = "This is the third time I'm asking, your product is garbage, get me a human"


def test_a_new_question_after_our_intake_question_is_answered_and_the_case_names_the_first(
    sample_desk: HelpDesk,
) -> None:
    c = sample_desk.start(Customer())  # anonymous: the intake has details to ask for
    first = sample_desk.send(c.id, c.token, BANK)
    assert first.action in ("clarify", "answer"), first
    second = sample_desk.send(c.id, c.token, HOW_TO)
    assert second.action == "answer", second
    assert second.text != first.text  # never the same intake question again
    third = sample_desk.send(c.id, c.token, FED_UP)
    assert third.action == "handoff" and third.handoff is not None
    assert "the customer" not in third.text.lower()
    assert "sorry" in third.text.lower()  # empathy: they are upset
    view = sample_desk.agents.case(third.handoff.case_id)
    summary = view.summary
    assert "bank feed" in summary["issue"].lower()  # the problem, not the how-to or the anger
    assert "two-factor" not in summary["issue"].lower()
    assert {"customer is angry", "asked for a person"} <= set(summary["triggers"])
    assert summary["sentiment"]["label"] in ("angry", "frustrated")
    assert view.case.priority >= 0.3 and summary["priority"]["label"] != "low"
    assert summary["fields"].get("Error message") == "BANK-102"


def test_a_frustrated_question_the_help_center_answers_is_answered_with_an_apology(
    sample_desk: HelpDesk,
) -> None:
    c = sample_desk.start(Customer())
    turn = sample_desk.send(
        c.id, c.token, "trying to connect shopify and it just says upgrade required. seriously?"
    )
    assert turn.action == "answer" and turn.citations, turn
    assert turn.text.startswith("I'm sorry") and "bring in a person" in turn.text
    assert "Shopify" in turn.text
    stuck = sample_desk.send(c.id, c.token, "that didn't help at all")
    assert stuck.action in ("handoff", "clarify"), stuck  # a person is one message away


def test_an_intake_question_is_never_asked_twice(sample_desk: HelpDesk) -> None:
    c = sample_desk.start(Customer())
    asked: list[str] = []
    for text in (
        "Payroll for my contractors in Brazil keeps failing",
        "no idea",
        "I told you, I don't know",
        "still nothing",
    ):
        turn = sample_desk.send(c.id, c.token, text)
        assert not set(turn.asks_for) & set(asked), (text, turn.asks_for, asked)
        asked += turn.asks_for
        if turn.action == "handoff":
            break
    assert turn.action == "handoff"


def test_unsure_we_ask_for_the_case_details_and_show_the_closest_articles_meanwhile(
    sample_desk: HelpDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = sample_desk.assistant
    strict = assistant.settings.model_copy(update={"confidence_threshold": 0.99})
    monkeypatch.setattr(assistant, "settings", strict)  # every answer is below it
    c = sample_desk.start(Customer())  # anonymous: the intake asks who they are
    turn = sample_desk.send(c.id, c.token, HOW_TO)
    assert turn.action == "clarify" and turn.asks_for, turn
    assert any("two-factor" in r.document_id for r in turn.related), turn.related
    assert turn.citations == []  # nothing is claimed: these are pointers, not an answer


def test_get_me_a_human_first_is_honoured_at_once_in_the_second_person(
    sample_desk: HelpDesk,
) -> None:
    c = sample_desk.start(Customer())
    turn = sample_desk.send(c.id, c.token, "get me a human")
    assert turn.action == "handoff" and turn.related == []
    assert "as you asked" in turn.text and "the customer" not in turn.text.lower()
    summary = sample_desk.agents.case(turn.handoff.case_id).summary  # type: ignore[union-attr]
    assert summary["issue"] == "" and summary["triggers"] == ["asked for a person"]
    assert summary["draft_reply"] == ""  # nothing to draft about: no off-topic reply


def test_anger_while_the_case_waits_raises_it_instead_of_a_note(sample_desk: HelpDesk) -> None:
    c = sample_desk.start(Customer(email="owner@shop.example"))
    opened = sample_desk.send(c.id, c.token, "Can you recommend a good pizza place in Rome?")
    assert opened.action == "handoff" and opened.handoff is not None
    before = sample_desk.agents.case(opened.handoff.case_id).case
    later = sample_desk.send(
        c.id, c.token, "Hello?? Nobody is answering, this is useless and I am furious!!"
    )
    assert later.action == "waiting" and "sorry" in later.text.lower()
    after = sample_desk.agents.case(opened.handoff.case_id)
    assert after.case.priority > before.priority
    assert "customer is angry" in after.summary["triggers"]
    assert after.summary["sentiment"]["label"] in ("angry", "frustrated")
    assert "angry" in after.case.tags


def test_a_how_to_question_while_the_case_waits_is_answered(sample_desk: HelpDesk) -> None:
    c = sample_desk.start(Customer(email="owner@shop.example"))
    opened = sample_desk.send(c.id, c.token, "Can you recommend a good pizza place in Rome?")
    assert opened.handoff is not None
    turn = sample_desk.send(c.id, c.token, "How do I turn on two-factor authentication?")
    assert turn.action == "answer" and turn.citations
    assert f"#{opened.handoff.case_id}" in turn.text


INTERNAL_QUESTION = "How do I force a bank feed re-sync from the admin tools?"
INTERNAL_ID = "force-a-bank-feed-resync"


def test_internal_articles_never_reach_a_customer(sample_desk: HelpDesk) -> None:
    found = sample_desk.assistant.retriever.search(INTERNAL_QUESTION)
    assert any(INTERNAL_ID in p.document_id for p in found[:3])  # the index holds it
    vip = Customer(email="ceo@big.example", plan="enterprise", role="admin", verified=True)
    for who in (Customer(), vip):
        c = sample_desk.start(who)
        turn = sample_desk.send(c.id, c.token, INTERNAL_QUESTION)
        shown = [*turn.citations, *turn.related]
        assert not any(INTERNAL_ID in x.document_id for x in shown), turn
        assert "Force re-sync" not in turn.text


def test_an_unverified_plan_neither_raises_priority_nor_unlocks_paid_articles(
    sample_desk: HelpDesk,
) -> None:
    claimed = Customer(email="boss@bigcustomer.example", plan="vip")
    vouched = Customer(email="boss@bigcustomer.example", plan="vip", verified=True)
    priorities = []
    for who in (claimed, vouched):
        c = sample_desk.start(who)
        turn = sample_desk.send(c.id, c.token, "get me a human")
        assert turn.handoff is not None
        priorities.append(sample_desk.agents.case(turn.handoff.case_id).case.priority)
    assert priorities[0] < priorities[1]


def test_during_an_incident_its_customers_hear_the_status_first_and_their_cases_carry_it(
    sample_desk: HelpDesk,
) -> None:
    store = sample_desk.store
    feeds = store.open_incident(
        "Bank feeds delayed", ["banking"], "identified", "Our bank-data provider is late", "ops"
    )
    c = sample_desk.start(Customer(email="owner@shop.example"))
    turn = sample_desk.send(c.id, c.token, "My bank feed stopped syncing, transactions missing")
    assert turn.incident == feeds
    assert turn.text.startswith("Known issue (identified): Bank feeds delayed.")
    assert "\n\n" in turn.text  # then the reply it would have had
    assert turn.message is not None and turn.message.meta["incident"] == feeds.id
    person = sample_desk.send(c.id, c.token, "get me a human, my bank feed is still not syncing")
    assert person.action == "handoff" and person.handoff is not None
    assert person.text.startswith("Known issue")
    assert f"incident:{feeds.id}" in store.case(person.handoff.case_id).tags
    other = sample_desk.start(Customer())
    how_to = sample_desk.send(other.id, other.token, HOW_TO)
    assert how_to.incident is None and not how_to.text.startswith("Known issue")
    store.update_incident(feeds.id, "resolved", "Feeds are back", "ops")
    after = sample_desk.send(other.id, other.token, "my bank feed stopped syncing again")
    assert after.incident is None and "Known issue" not in after.text
