"""The anger detector on customer messages, its rules, its trajectory and the shipped head."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.anger import (
    HEAD_FILE,
    AngerDetector,
    load_model,
    rule_evidence,
    shouting,
    trajectory,
)
from assistant.errors import AnswerdeskError
from assistant.ports import Embedder

CLEARLY_ANGRY = [
    "This is the THIRD time I'm writing about the same invoice. Unacceptable.",
    "wtf is going on with your bank sync?? it's been broken for a week",
    "STOP SENDING ME THE SAME ARTICLE. IT DOES NOT WORK.",
    "If this isn't fixed today I'm cancelling my subscription and filing a chargeback.",
    "Your support is useless. Nobody has replied in four days.",
    "I'm furious. You charged me twice and this is ridiculous.",
    "Still not fixed?! I'm done with you, we're switching to QuickBooks.",
    "Absolute scam. I'll be leaving a one-star review everywhere.",
]
CALM = [
    "How do I add my accountant as a user?",
    "Hi! Could you tell me where to find last year's VAT report?",
    "The bank feed hasn't updated since yesterday, is there a known issue?",
    "Thanks so much!! That fixed it.",
    "Can I export invoices as PDF and CSV at the same time?",
    "I think I was charged twice for March, could you take a look when you have a moment?",
    "Our SSO login via SAML fails for two users; screenshots attached.",
    "How do I cancel my subscription at the end of the month?",
]

RULE_CASES = [
    # (message, reasons that must be among those found)
    ("PLEASE FIX THIS NOW", {"all-caps shouting"}),
    ("I have NOT received the invoice", {"emphasis in capitals"}),
    ("Why is it so hard?!", {'repeated "!" or "?!"'}),
    ("this is fucking broken", {"profanity"}),
    ("what the hell happened to my reports", {"profanity"}),
    ("Fix it or I'm going to cancel my subscription.", {"threatens to cancel"}),
    ("Sort this out or we'll cancel.", {"threatens to cancel"}),
    ("We're seriously considering switching to Xero.", {"threatens to switch provider"}),
    ("I'll take my business elsewhere.", {"threatens to switch provider"}),
    ("I'm disputing the charge with my bank.", {"threatens a chargeback"}),
    ("Expect a chargeback.", {"threatens a chargeback"}),
    ("My lawyer will hear about this.", {"threatens legal action"}),
    ("I'm leaving a one-star review on Trustpilot.", {"threatens a public review"}),
    ("This is the third time I'm writing.", {"says this is a repeat contact"}),
    ("How many times do I have to explain this?", {"says this is a repeat contact"}),
    ("Still not fixed.", {"says it is still not fixed"}),
    ("Nobody has replied to my ticket.", {"complains nobody responds"}),
    ("I've been waiting 6 days for an answer.", {"complains nobody responds"}),
    ("That is unacceptable.", {"says it is unacceptable"}),
    ("This app is useless.", {"calls it useless or ridiculous"}),
    ("Ridiculous.", {"calls it useless or ridiculous"}),
    ("That's a rip-off.", {"accuses us of a scam"}),
    ("I'm so frustrated with the export.", {"says they are angry or fed up"}),
    ("Thanks for nothing.", {"exasperated or sarcastic phrasing"}),
    ("What am I paying you for?", {"exasperated or sarcastic phrasing"}),
    ("Second outage this month.", {"says it keeps happening"}),
    ("Your bot keeps sending me the same article.", {"says it keeps happening"}),
    ("We expect a proper explanation.", {"demands an explanation or compensation"}),
    ("Call me, not another link to an article.", {"demands an explanation or compensation"}),
]
NO_RULE = [
    "I want to know if you offer compensation for downtime.",
    "Can you give me an explanation of the VAT report?",
    "How do I connect my API to the CSV export?",  # acronyms are not shouting
    "URL, PDF, SSO and GDPR settings are under Admin.",
    "How do I cancel an invoice I sent by mistake?",
    "I'll cancel the old invoice and send a new one.",
    "I'm not angry, just confused about proration.",
    "This isn't useless at all, I love it.",
    "It's ridiculously fast now, thanks!",
    "Can I leave a review on the app store?",
    "Still getting used to the new dashboard.",
    "Where do I see the invoices I sent last month?",
    "Why is SELECT * FROM invoices WHERE due_date < now() slow?",  # code
    "tell me a joke",
    "The app keeps logging me out on Android.",  # what the app does, not how they feel
    "How many times do you retry a failed webhook?",
    "Can Tallybook bill a client every month so I don't make the same invoice over and over?",
]


@pytest.mark.parametrize(("text", "reasons"), RULE_CASES)
def test_rules_name_the_reason(text: str, reasons: set[str]) -> None:
    found = {reason for reason, weight in rule_evidence(text)}
    assert reasons <= found, found


@pytest.mark.parametrize("text", NO_RULE)
def test_rules_stay_quiet_on_ordinary_messages(text: str) -> None:
    assert [reason for reason, weight in rule_evidence(text) if weight > 0] == []


def test_a_name_in_capitals_repeated_is_not_shouting() -> None:
    text = "Rule: description contains METRO AB. Older METRO AB rows are not categorised."
    assert "all-caps shouting" not in dict(shouting(text))


def test_a_how_to_question_is_evidence_of_calm_and_never_a_reason() -> None:
    assert rule_evidence("How do I cancel my subscription?") == [("asks a how-to question", -0.7)]
    assert AngerDetector().assess("How do I cancel my subscription?").reasons == []


def test_one_capitalised_word_is_emphasis_and_delight_weighs_less_than_exasperation() -> None:
    assert dict(shouting("it does NOT work")) == {"emphasis in capitals": pytest.approx(0.3)}
    assert (
        dict(shouting("Thanks!!"))['repeated "!" or "?!"']
        < dict(shouting("Why?!"))['repeated "!" or "?!"']
    )


@pytest.fixture(scope="module")
def lexical() -> AngerDetector:
    return AngerDetector()  # no embedder: lexicon + rules only


@pytest.mark.parametrize("text", CLEARLY_ANGRY)
def test_lexicon_and_rules_alone_flag_clearly_angry_messages(
    lexical: AngerDetector, text: str
) -> None:
    result = lexical.assess(text)
    assert result.angry and result.reasons and 0 <= result.score <= 1
    assert result.learned is None


@pytest.mark.parametrize("text", CALM)
def test_lexicon_and_rules_alone_leave_calm_messages_alone(
    lexical: AngerDetector, text: str
) -> None:
    assert not lexical.assess(text).angry


TRAJECTORIES = [
    # (turn scores, rising, escalation at least, escalation at most)
    ([], False, 0.0, 0.0),
    ([0.9], False, 0.9, 0.9),
    ([0.1, 0.3, 0.5], True, 0.6, 0.7),  # getting angrier: counts more than the last score
    ([0.9, 0.2], False, 0.0, 0.5),  # a sharp word, then calm: fades
    ([0.95, 0.7], False, 0.7, 0.8),  # still angry
    ([0.2, 0.2, 0.2, 0.9], True, 0.9, 1.0),
    ([0.3, 0.3, 0.3], False, 0.3, 0.3),
    ([0.24, 0.59], False, 0.59, 0.59),  # two points are not a trend
]


@pytest.mark.parametrize(("scores", "rising", "low", "high"), TRAJECTORIES)
def test_trajectory(scores: list[float], rising: bool, low: float, high: float) -> None:
    path = trajectory(scores)
    assert path.rising is rising
    assert low - 1e-9 <= path.escalation <= high + 1e-9
    assert path.turns == len(scores)


def test_trend_is_the_change_per_turn() -> None:
    assert trajectory([0.1, 0.3, 0.5]).trend == pytest.approx(0.2)
    assert trajectory([0.8, 0.5, 0.2]).trend == pytest.approx(-0.3)


def test_the_shipped_artifact_holds_the_head_blends_and_figures() -> None:
    model = load_model(HEAD_FILE)
    assert model.weights.shape == (384,) and model.embedder == "all-MiniLM-L6-v2"
    for blend in (model.with_head, model.without_head):
        assert 0 < blend.threshold < 1
    assert model.without_head.head == 0
    validation = model.metrics["goemotions_validation"]["combined"]
    assert validation["f1"] > 0.3 and validation["n"] > 5000


def test_the_head_refuses_vectors_of_another_model() -> None:
    with pytest.raises(AnswerdeskError, match="retrain"):
        load_model().head_logits(np.zeros((1, 768), dtype=np.float32))


# Anger in the wording itself, with few rule keywords: the learned head must carry these.
HEAD_ANGRY = [
    "I'm furious. You charged me twice and this is ridiculous.",
    "Your support is useless. Nobody has replied in four days.",
    "I am so angry right now, your update wiped all my invoices and nobody cares.",
    "You people keep wasting my time with the same canned answers.",
]
HEAD_CALM = [
    "How do I add my accountant as a user?",
    "Thanks so much!! That fixed it.",
    "Can I export invoices as PDF and CSV at the same time?",
    "Our SSO login via SAML fails for two users; screenshots attached.",
]


def test_the_learned_head_separates_angry_from_calm_customers(embedder: Embedder) -> None:
    detector = AngerDetector(embedder)
    angry = [r.learned for r in detector.assess_many(HEAD_ANGRY)]
    calm = [r.learned for r in detector.assess_many(HEAD_CALM)]
    assert None not in angry and None not in calm
    # The head alone, on real MiniLM vectors: every angry message above every calm one.
    assert min(a for a in angry if a is not None) > 0.5 > max(c for c in calm if c is not None)


def test_with_the_head_the_detector_gets_the_customer_tables_right(embedder: Embedder) -> None:
    detector = AngerDetector(embedder)
    assert all(r.angry and r.learned is not None for r in detector.assess_many(CLEARLY_ANGRY))
    assert not any(r.angry for r in detector.assess_many(CALM))


def test_the_head_must_match_the_embedder(embedder: Embedder) -> None:
    class Other:
        name, dimension, max_tokens = "another-model", 384, 256

    with pytest.raises(AnswerdeskError, match="another-model"):
        AngerDetector(Other())  # type: ignore[arg-type]
    assert AngerDetector(embedder).threshold == load_model().with_head.threshold
