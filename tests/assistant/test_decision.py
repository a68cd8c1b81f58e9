"""The turn decision, table-driven: every hand-off trigger, and when the bot may answer."""

from __future__ import annotations

import pytest

from assistant.decision import OUT_OF_SCOPE_SIMILARITY, decide
from assistant.triage import Triage
from assistant.types import Answer, Turn

EARLIER = [
    Turn("user", "my bank feed stopped updating"),
    Turn("assistant", "Reconnect the bank under Banking."),
    Turn("user", "ok and then?"),
    Turn("assistant", "Then wait for the next sync."),
]


def answer(confident: bool = True, failure: str | None = None, similarity: float = 0.6) -> Answer:
    return Answer(
        text="Annual plans are refunded pro rata. [1]",
        citations=[],
        confidence=0.9 if confident else 0.1,
        needs_handoff=not confident or failure is not None,
        grounded_share=1.0,
        query="q",
        passages=[],
        backend="extractive",
        prompt_version="v",
        features={"dense_top": similarity},
        failure=failure,
    )


def signals(**fired: object) -> Triage:
    values: dict[str, object] = dict(
        angry=False,
        anger=0.0,
        human_requested=False,
        repeated_failure=False,
        policy=[],
        reasons=[],
        bot_may_answer_first=True,
    )
    values.update(fired)
    return Triage(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("triage", "reply", "action", "reasons"),
    [
        (signals(), answer(), "answer", []),
        (signals(), answer(confident=False), "handoff", ["low_confidence"]),
        (
            signals(),
            answer(False, similarity=OUT_OF_SCOPE_SIMILARITY - 0.1),
            "handoff",
            ["out_of_scope"],
        ),
        (
            signals(human_requested=True, bot_may_answer_first=False),
            answer(),
            "handoff",
            ["human_requested"],
        ),
        (
            signals(angry=True, strongly_angry=True, bot_may_answer_first=False),
            answer(),
            "handoff",
            ["angry"],
        ),
        (signals(angry=True), answer(confident=False), "handoff", ["angry"]),
        (signals(angry=True), answer(), "answer", []),
        (
            signals(repeated_failure=True, bot_may_answer_first=False),
            answer(),
            "handoff",
            ["repeated_failure"],
        ),
        (
            signals(policy=["refund"], bot_may_answer_first=False),
            answer(),
            "handoff",
            ["policy:refund"],
        ),
        (  # handed off for a policy, and upset: the person is told both
            signals(angry=True, policy=["compensation"], bot_may_answer_first=False),
            answer(),
            "handoff",
            ["policy:compensation", "angry"],
        ),
        (
            signals(policy=["sales"], bot_may_answer_first=True),
            answer(),
            "answer",
            ["policy:sales"],
        ),
        (signals(), answer(failure="backend_unavailable"), "handoff", ["backend_unavailable"]),
    ],
)
def test_decision_table(triage: Triage, reply: Answer, action: str, reasons: list[str]) -> None:
    decision = decide(triage, reply, "can I get a refund on my annual plan?")
    assert (decision.action, decision.reasons) == (action, reasons)
    assert decision.explanation or action == "answer"


def test_a_frustrated_customer_with_an_answered_question_gets_the_answer_with_an_apology() -> None:
    frustrated = decide(signals(angry=True), answer(), "theres no cancel button anywhere??")
    assert frustrated.action == "answer" and frustrated.acknowledge
    assert not decide(signals(), answer(), "where is the cancel button?").acknowledge


def test_a_policy_the_bot_may_answer_is_still_routed_to_its_queue() -> None:
    decision = decide(signals(policy=["sales"], queue="sales"), answer(), "pricing for 80 seats")
    assert decision.action == "answer" and decision.route_to == "sales"


def test_a_vague_first_message_gets_a_clarifying_question_not_a_hand_off() -> None:
    assert decide(signals(), answer(confident=False), "error").action == "clarify"
    assert decide(signals(), answer(confident=False), "error", EARLIER).action == ("handoff")


@pytest.mark.parametrize("message", ["error", "help!", "it is broken"])
def test_a_first_message_that_names_nothing_is_clarified_however_sure_the_search(
    message: str,
) -> None:
    assert decide(signals(), answer(), message).action == "clarify"


def test_one_word_that_names_a_topic_is_answered_when_sure() -> None:
    # "symptoms" alone is a fair question to a knowledge base about one illness.
    assert decide(signals(), answer(), "symptoms").action == "answer"


def test_not_sure_of_a_question_that_never_names_its_subject_asks_which_one() -> None:
    decision = decide(signals(), answer(confident=False), "does this plan include exports?")
    assert decision.action == "clarify" and decision.reasons == ["underspecified"]
    assert "Which plan" in decision.question


def test_an_unnamed_subject_is_asked_about_even_when_an_answer_looks_confident() -> None:
    decision = decide(signals(), answer(), "when was this product launched?")
    assert decision.action == "clarify"


def test_a_subject_named_earlier_in_the_conversation_is_answered() -> None:
    history = [Turn("user", "tell me about the Pro plan"), Turn("assistant", "Pro is $29.")]
    assert decide(signals(), answer(), "does this plan include exports?", history).action == (
        "answer"
    )


def test_a_vague_question_nothing_in_the_knowledge_base_is_near_is_handed_off() -> None:
    vague = answer(confident=False, similarity=OUT_OF_SCOPE_SIMILARITY - 0.1)
    assert decide(signals(), vague, "is this tariff any good for a large team?").action == "handoff"
