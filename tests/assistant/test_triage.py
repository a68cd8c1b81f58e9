"""Triage signals: a person when asked for, on repeated failure, anger and policy actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.anger import AngerDetector
from assistant.errors import AnswerdeskError
from assistant.handoff.priority import priority_of, reasons_of
from assistant.ports import Embedder
from assistant.triage import (
    QUEUES,
    CustomerContext,
    Triage,
    human_request,
    load_policies,
    policy_signals,
    repeated_failure,
    triage,
)
from assistant.types import Turn

POLICIES = load_policies()


def user(text: str) -> Turn:
    return Turn("user", text)


def bot(text: str = "Here is how: open Settings → Billing.") -> Turn:
    return Turn("assistant", text)


# --- asking for a person -------------------------------------------------------------------

ASKS_FOR_A_PERSON = [
    "let me talk to a person",
    "Let me talk to a real human please",
    "agent",
    "AGENT!!",
    "human please",
    "Representative.",
    "I want to speak to a real human",
    "Can I speak to someone?",
    "I need to speak with an agent asap",
    "can i chat with a live agent",
    "I'd like to talk to a customer service representative",
    "Get me your manager.",
    "is there a human I can talk to?",
    "How can I reach a real person?",
    "Is there anyone I can speak to about my invoice?",
    "call me",
    "Can someone call me back? My number is on the account.",
    "please call me tomorrow morning",
    "Can I have a call with someone?",
    "I don't want to talk to a bot",
    "stop with the bot, I want a person",
    "escalate this please",
    "transfer me to an agent",
    "I've tried everything, I need a real person now",
    "I'd rather not deal with a bot. Please pass me to your support team.",
    "I get error INV-422 when I save an invoice, please get me someone",
    "I want to talk to support about my invoice",
    "can I speak with your billing team?",
]
NOT_A_REQUEST = [
    "My user agent is Chrome 120 on macOS",
    "Our travel agent sends us invoices, how do I import them?",
    "Can the real estate agent see our reports?",
    "What does the agent field on an invoice mean?",
    "How do I add a person to my team?",
    "Can I talk to my accountant through Tallybook?",
    "I don't need to talk to a person, just tell me the steps",
    "Does the app call me when an invoice is paid?",
    "I need someone with admin rights to approve this, how do I find them?",
    "How do I export a report for my insurance agent?",
    "Is there a limit on the number of users?",
    "Our support team uses Tallybook for expenses",
    "How do I get support for the API?",
    "The report I need to send to billing is wrong",
    "I need to talk to my accountant about the sales tax",
]


@pytest.mark.parametrize("text", ASKS_FOR_A_PERSON)
def test_explicit_requests_for_a_person_fire(text: str) -> None:
    signal = human_request(text)
    assert signal.fired, text
    assert signal.reason.startswith(("asks for a person", "does not want the bot"))


@pytest.mark.parametrize("text", NOT_A_REQUEST)
def test_words_like_agent_or_person_alone_are_not_requests(text: str) -> None:
    assert not human_request(text).fired, text


def test_asking_whether_it_is_a_bot_is_noted_but_not_a_handoff() -> None:
    signal = human_request("wait, are you a bot?")
    assert 0 < signal.score < 0.5 and signal.reason == "asks whether a person is there"


# --- policies: asking about one vs asking us to act ----------------------------------------

POLICY_CASES = [
    # (message, triggered policies)
    ("Refund my last charge now.", {"refund"}),
    ("I want a refund for March.", {"refund"}),
    ("Can you refund me? I forgot to cancel before the renewal.", {"refund"}),
    ("refund it to my card", {"refund"}),
    ("I still haven't received my refund", {"refund"}),
    ("You charged me twice this month.", {"refund"}),
    ("I was double-billed for the Pro plan, fix it.", {"refund"}),
    ("You charged me $29 again after I stopped using it. I want that money back.", {"refund"}),
    ("Cancel my account today.", {"cancellation"}),
    ("I'd like to cancel my subscription, effective immediately.", {"cancellation"}),
    ("Please cancel it.", {"cancellation"}),
    ("We do not want to renew in May.", {"cancellation"}),
    ("We're moving our whole team to Xero next month.", {"cancellation"}),
    ("I filed a chargeback with my bank.", {"billing_dispute"}),
    ("Third outage this quarter. We expect a service credit.", {"compensation"}),
    ("I want an explanation and compensation, not a link to a status page.", {"compensation"}),
    ("There's an unauthorized charge on my card from you.", {"billing_dispute"}),
    ("We never authorised this payment and are disputing it with our bank.", {"billing_dispute"}),
    ("I think my account was hacked.", {"security_incident"}),
    ("Someone logged into my account from Brazil last night", {"security_incident"}),
    ("We accidentally pushed our API key to a public GitHub repo", {"security_incident"}),
    ("I got 2FA codes I didn't request", {"security_incident"}),
    ("Our payout bank details were changed and it wasn't us", {"security_incident"}),
    ("Someone changed the bank details in our invoice footer last night", {"security_incident"}),
    ("I'll be contacting my lawyer about this.", {"legal"}),
    ("I'm filing a complaint with the data protection authority.", {"legal"}),
    ("Delete all my personal data under GDPR.", {"data_deletion"}),
    ("Can you erase all my personal information please?", {"data_deletion"}),
    ("I'm exercising my right to be forgotten.", {"data_deletion"}),
    ("What's the pricing for 80 seats?", {"sales"}),
    ("We're evaluating Tallybook for 250 users, can we get a quote?", {"sales"}),
    ("Do you have an enterprise plan?", {"sales"}),
    ("Do you offer a volume discount?", {"sales"}),
    ("Our procurement team needs a custom DPA signed.", {"sales"}),
    ("If we commit to a 3 year contract for 40 users, is there a discount?", {"sales"}),
    ("Cancel my subscription and delete all my data.", {"cancellation", "data_deletion"}),
    ("Refund me now or I'm taking you to small claims court.", {"refund", "legal"}),
]
ASKING_ABOUT_A_POLICY = [
    "what's your refund policy?",
    "Quick question: what's your refund policy for annual plans?",
    "Can I get a refund on annual?",
    "Can I still get a refund after 2 months?",
    "Do you offer refunds?",
    "How do I cancel my subscription?",
    "Hi, how do I cancel my subscription? We're closing the business at the end of the month.",
    "I'd like to know how to cancel my subscription",
    "What happens to my data if I cancel my account?",
    "I want to cancel an invoice I sent by mistake",
    "Has Tallybook ever been hacked?",
    "How do I know if my account was compromised?",
    "How do I delete my data?",
    "Where do I change my bank details?",
    "How much does the Pro plan cost?",
    "We have 120 users and SSO keeps failing for two of them",
    "How do I invite 3 users?",
    "A client sent me a GDPR request to delete his data. What should I keep?",
    "Do I need a lawyer to register a trademark?",
    "What did the court decide about the merger?",
    "Do you offer compensation for downtime?",
    "I want to know if you give SLA credits",
    "How do I credit a customer for a returned item?",
]


@pytest.mark.parametrize(("text", "expected"), POLICY_CASES)
def test_demanding_a_policy_action_triggers_it(text: str, expected: set[str]) -> None:
    assert {s.name.removeprefix("policy:") for s in policy_signals(text, POLICIES)} == expected


@pytest.mark.parametrize("text", ASKING_ABOUT_A_POLICY)
def test_asking_about_a_policy_is_for_the_bot(text: str) -> None:
    assert policy_signals(text, POLICIES) == [], text


def test_the_policy_file_names_every_policy_with_a_queue() -> None:
    names = {p.name: (p.queue, p.bot_may_answer_first) for p in POLICIES}
    assert set(names) == {"refund", "cancellation", "billing_dispute", "compensation",
                          "security_incident", "legal", "data_deletion", "sales"}  # fmt: skip
    assert all(queue in QUEUES for queue, _ in names.values())
    assert names["sales"] == ("sales", True)
    assert names["security_incident"] == ("security", False)
    assert all(p.patterns for p in POLICIES)


def test_a_broken_policy_file_fails_loudly(tmp_path: Path) -> None:
    bad = tmp_path / "policies.yaml"
    bad.write_text("policies:\n  x:\n    queue: support\n    bot_may_answer_first: false\n"
                   "    patterns: ['(unclosed']\n")  # fmt: skip
    with pytest.raises(AnswerdeskError, match="bad pattern"):
        load_policies(bad)
    bad.write_text("policies:\n  x:\n    queue: nowhere\n    bot_may_answer_first: false\n")
    with pytest.raises(AnswerdeskError, match="queue"):
        load_policies(bad)


# --- repeated failure ------------------------------------------------------------------------

FAILURE_CASES = [
    # (conversation, thumbs_down, fires)
    ([user("how do I reconnect my bank?"), bot(), user("that didn't help")], False, True),
    ([user("bank feed stuck"), bot(), user("Still doesn't work.")], False, True),
    ([user("export fails"), bot(), user("I already tried that, same error")], False, True),
    ([user("export fails"), bot(), user("ok")], True, True),
    (
        [
            user("bank feed says BANK-102"),
            bot(),
            user("reconnected it twice, it still says BANK-102"),
        ],
        False,
        True,
    ),
    (
        [user("How do I hide tax?"), bot(), user("does it still show on the PDF then?")],
        False,
        False,
    ),
    (
        [
            user("How do I export invoices to PDF?"),
            bot(),
            user("how can I export my invoices as a PDF file"),
        ],
        False,
        True,
    ),
    (
        [user("bank sync"), bot(), user("still not working"), bot(), user("nope, didn't work")],
        False,
        True,
    ),
    ([user("I tried everything and it still doesn't work")], False, False),  # nothing answered yet
    (
        [user("How do I export invoices?"), bot(), user("thanks, and how do I delete one?")],
        False,
        False,
    ),
    ([user("How do I export invoices?"), bot(), user("Great, that worked!")], False, False),
    (
        [user("Where is the VAT report?"), bot(), user("Still getting used to it, thanks")],
        False,
        False,
    ),
    ([user("How do I export invoices?"), user("How do I export invoices to PDF?")], False, False),
    # A follow-up on the same topic adds a question; it does not repeat one.
    (
        [
            user("Do I need a business account?"),
            bot(),
            user("How do I open a business account and what does it cost?"),
        ],
        False,
        False,
    ),
    # Only the question the last answer replied to counts: the topic coming back later is not.
    (
        [
            user("Bank feed setup"),
            bot(),
            user("Which banks are supported?"),
            bot(),
            user("How long does the bank feed setup take?"),
        ],
        False,
        False,
    ),
]


@pytest.mark.parametrize(("turns", "thumbs_down", "fires"), FAILURE_CASES)
def test_repeated_failure(turns: list[Turn], thumbs_down: bool, fires: bool) -> None:
    assert repeated_failure(turns, thumbs_down).fired is fires


def test_failing_twice_scores_highest() -> None:
    turns = [user("sync broken"), bot(), user("still broken"), bot(), user("that didn't help")]
    signal = repeated_failure(turns)
    assert signal.score == 1.0 and "2 times" in signal.reason


def priority(result: Triage) -> str:
    """The case priority these signals alone would give (assistant.handoff.priority)."""
    return priority_of(result, reasons_of(result)).label


# --- the whole picture -----------------------------------------------------------------------


def test_a_calm_how_to_question_needs_nobody() -> None:
    result = triage([user("How do I add my accountant as a user?")])
    assert not result.handoff and result.reasons == [] and priority(result) == "low"
    assert result.bot_may_answer_first and result.queue == "support"


def test_an_angry_customer_demanding_a_refund_is_routed_to_billing_now() -> None:
    result = triage([
        user("I was charged for an annual plan I never wanted."), bot(),
        user("This is the THIRD time I'm asking. Refund me NOW or I'm filing a chargeback!!"),
    ])  # fmt: skip
    assert result.angry and result.handoff and not result.bot_may_answer_first
    assert result.policy[0] == "billing_dispute" and "refund" in result.policy
    assert result.queue == "billing" and priority(result) in ("high", "urgent")
    assert any(r.startswith("angry or frustrated") for r in result.reasons)


def test_sales_intent_lets_the_bot_answer_first_and_routes_to_sales() -> None:
    result = triage([user("What would pricing look like for 80 seats on an annual contract?")])
    assert result.policy == ["sales"] and result.queue == "sales"
    assert result.bot_may_answer_first and result.handoff


def test_a_security_incident_is_urgent_for_a_vip_and_goes_to_security() -> None:
    turns = [user("Someone logged into my account from an unknown device.")]
    assert triage(turns).queue == "security"
    assert priority(triage(turns)) == "high"
    vip = CustomerContext(plan="enterprise", vip=True)
    assert priority(triage(turns, context=vip)) == "urgent"


@pytest.mark.parametrize(("context", "expected"), [
    (CustomerContext(), "low"),
    (CustomerContext(plan="Business"), "normal"),
    (CustomerContext(plan="enterprise"), "normal"),
    (CustomerContext(plan="free", vip=True), "normal"),
])  # fmt: skip
def test_plan_and_vip_raise_priority_but_not_the_decision(
    context: CustomerContext, expected: str
) -> None:
    result = triage([user("Can I speak to someone about my invoices?")], context=context)
    assert result.human_requested and priority(result) == expected
    assert result.bot_may_answer_first is False  # whoever asks: the plan never decides


def test_getting_angrier_turn_after_turn_is_reported() -> None:
    turns = [
        user("My bank feed stopped syncing yesterday."), bot(),
        user("I reconnected it like you said and it's still not syncing."), bot(),
        user("This is ridiculous. Still not fixed and I've wasted my whole morning on it."), bot(),
        user("UNBELIEVABLE. Third time I'm telling you this and NOTHING works!! Useless."),
    ]  # fmt: skip
    result = triage(turns)
    assert result.angry and result.anger_trend > 0
    assert any("getting angrier" in r for r in result.reasons)
    assert result.repeated_failure


def test_one_sharp_word_that_calms_down_does_not_keep_the_flag() -> None:
    turns = [user("wtf, the export is broken??"), bot("Try the CSV option under Reports."),
             user("Oh that worked, thank you so much."),]  # fmt: skip
    result = triage(turns)
    assert not result.angry and result.anger_trend < 0


def test_with_the_embedder_a_rephrased_question_is_a_repeat_in_other_words(
    embedder: Embedder,
) -> None:
    detector = AngerDetector(embedder)
    same = [user("How do I download my invoices as PDFs?"), bot(),
            user("Is there a way to save my invoices in PDF format?")]  # fmt: skip
    other = [user("How do I export invoices?"), bot(), user("How do I export expenses?")]
    assert not repeated_failure(same).fired  # no words in common to go by
    assert triage(same, detector).repeated_failure
    assert not triage(other, detector).repeated_failure


def test_with_the_embedder_an_angry_conversation_is_flagged(embedder: Embedder) -> None:
    detector = AngerDetector(embedder)
    angry = "I'm furious, nobody has fixed this in four days. Useless."
    result = triage([user("My invoices are gone."), bot(), user(angry)], detector)
    assert result.angry and result.handoff and not result.bot_may_answer_first
    calm = triage([user("How do I add my accountant as a user?")], detector)
    assert not calm.angry and not calm.handoff


def test_with_the_embedder_frustration_an_answer_can_settle_is_not_strong_anger(
    embedder: Embedder,
) -> None:
    detector = AngerDetector(embedder)
    mild = "trying to connect shopify and it just says upgrade required, on starter. seriously?"
    frustrated = triage([user(mild)], detector)
    assert frustrated.angry and not frustrated.strongly_angry
    assert frustrated.bot_may_answer_first  # a confident answer goes first
    furious = "worst software ive ever paid for. bank sync broken for a week, im so done with you"
    assert triage([user(furious)], detector).strongly_angry
