"""Streaming answers: sentences are cut where the grounding check cuts them, each one is checked
before it is passed on, and what is passed on is, piece by piece, the answer the turn ends with.

The model is a scripted fake here (the logic around the `ChatModel.stream` seam); the real
llama.cpp server streams through the whole app in tests/server/test_app_sse.py.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from assistant.backends.extractive import ExtractiveComposer
from assistant.decision import decide
from assistant.grounding import check
from assistant.service import SupportAssistant
from assistant.streaming import SentenceGate, complete_claims, may_stream, stream_draft
from assistant.triage import Triage
from assistant.types import Answer, Chunk, Draft, GenerationRequest, Message, Passage

REFUNDS = Passage(
    Chunk(
        "chunk-1",
        "article:refund-policy",
        0,
        "Annual plans can be refunded within 45 days of purchase. "
        "The refund is pro rata for the unused months. "
        "Monthly plans are not refunded, but you can cancel at any time.",
        "",
        {"title": "Refund policy", "kind": "article", "url": "https://help.example.com/refunds"},
    ),
    1.0,
)
GROUNDED = [  # as the check writes them: the marker after the sentence
    "Annual plans can be refunded within 45 days of purchase. [1]",
    "The refund is pro rata for the unused months. [1]",
]
INVENTED = "Our support team also sends every customer a free hoodie with the refund."
WRONG_NUMBER = "Annual plans can be refunded within 90 days of purchase. [1]"


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def gated(text: str, size: int = 3, passages: Sequence[Passage] = (REFUNDS,)) -> list[str]:
    sent: list[str] = []
    stream_draft(iter(pieces(text, size)), passages, sent.append)
    return sent


# The cut


@pytest.mark.parametrize(
    ("text", "final", "claims"),
    [
        ("Refunds take 45 days. The", False, ["Refunds take 45 days."]),
        ("Refunds take 45 days. ", False, []),  # the next sentence has not begun
        ("Refunds take 45 days.", True, ["Refunds take 45 days."]),
        ("Version 2.1 is out. It", False, ["Version 2.1 is out."]),
        ("It costs $29.", False, []),
        ("Open it [1]. Then", False, ["Open it [1]."]),
        ("Steps:\n1. Open Settings. Then Billing", False, ["Steps:"]),
        ("Steps:\n1. Open Settings. Then Billing\n2.", False,
         ["Steps:", "1. Open Settings. Then Billing"]),
        ("One.\n", False, ["One."]),
    ],
)  # fmt: skip
def test_a_claim_is_complete_once_the_next_one_starts_or_its_line_ends(
    text: str, final: bool, claims: list[str]
) -> None:
    assert [c for c, _ in complete_claims(text, final)] == claims


@pytest.mark.parametrize("size", [1, 2, 7, 1000])
def test_grounded_sentences_pass_in_order_whatever_the_piece_size(size: int) -> None:
    assert gated(" ".join(GROUNDED), size) == GROUNDED


# The gate


def test_a_sentence_the_passages_do_not_support_is_never_passed_on() -> None:
    text = f"{GROUNDED[0]} {INVENTED} {WRONG_NUMBER} {GROUNDED[1]}"
    sent = gated(text)
    assert sent == GROUNDED
    assert not any("hoodie" in s or "90" in s for s in sent)


def test_what_is_streamed_is_the_final_grounded_text_piece_by_piece() -> None:
    text = (
        "Here's how:\n"
        f"{INVENTED} {GROUNDED[0]}\n\n"
        "1. Check the purchase date of the annual plan [1].\n"
        "2. Ask for the refund within 45 days [1].\n"
        f"{GROUNDED[1]} Doc 1"
    )
    sent: list[str] = []
    draft = stream_draft(iter(pieces(text, 4)), [REFUNDS], sent.append)
    final = check(draft.text, [REFUNDS]).text
    assert INVENTED not in final and sent
    assert " ".join(final.split()) == " ".join(" ".join(sent).split())


def test_citation_numbers_are_those_of_the_final_answer() -> None:
    other = dataclasses.replace(
        REFUNDS, chunk=dataclasses.replace(REFUNDS.chunk, id="chunk-2", document_id="article:b")
    )
    # Passage [2] is cited first: the final answer calls it [1], and so does the stream.
    sent = gated(f"{GROUNDED[0].replace('[1]', '[2]')} {GROUNDED[1]}", 5, [REFUNDS, other])
    assert sent == [GROUNDED[0], GROUNDED[1].replace("[1]", "[2]")]


def test_a_model_that_declines_streams_nothing() -> None:
    sent: list[str] = []
    text = f"I don't know. {GROUNDED[0]} {GROUNDED[1]}"
    draft = stream_draft(iter(pieces(text, 3)), [REFUNDS], sent.append)
    assert draft == Draft("", abstained=True) and sent == []


def test_the_gate_keeps_what_it_sent() -> None:
    gate = SentenceGate([REFUNDS], lambda _: None)
    for piece in pieces(f"{GROUNDED[0]} {INVENTED}", 6):
        gate.feed(piece)
    assert gate.sent == [GROUNDED[0]]  # the invented sentence is complete only at the end
    assert gate.close().text == f"{GROUNDED[0]} {INVENTED}" and gate.sent == [GROUNDED[0]]


def test_a_sentence_the_output_check_refuses_withholds_the_rest() -> None:
    sent: list[str] = []
    text = f"{GROUNDED[0]} {GROUNDED[1]} {GROUNDED[0]}"
    stream_draft(iter(pieces(text, 4)), [REFUNDS], sent.append, lambda s: "pro rata" not in s)
    assert sent == [GROUNDED[0]]


# When a turn may stream at all


def confident_answer() -> Answer:
    return Answer("Refunds take 45 days. [1]", [], 0.95, False, 1.0, "q", [], "openai", "v")


TRIAGES = [
    dict(fired)
    for n in range(6)
    for fired in itertools.combinations(
        [
            ("angry", True),
            ("strongly_angry", True),
            ("human_requested", True),
            ("repeated_failure", True),
            ("policy", ["refund"]),
            ("bot_may_answer_first", False),
        ],
        n,
    )
]


@pytest.mark.parametrize("fired", TRIAGES, ids=lambda f: "+".join(f) or "calm")
def test_a_turn_streams_only_when_triage_alone_does_not_hand_it_off(fired: dict[str, Any]) -> None:
    values: dict[str, Any] = dict(
        angry=False,
        anger=0.0,
        human_requested=False,
        repeated_failure=False,
        policy=[],
        reasons=[],
        bot_may_answer_first=True,
    )
    signals = Triage(**(values | fired))
    refused = decide(signals, confident_answer(), "can I get a refund?").action == "handoff"
    assert may_stream(signals) is not refused


# Through the assistant, on the sample help center


class Scripted:
    """A language model that writes the extractive draft, with an invented sentence in the
    middle, a few characters at a time; it records which method was called."""

    name = "scripted"

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[str] = []
        self.fail_after = fail_after

    def text(self, request: GenerationRequest) -> str:
        first, *rest = ExtractiveComposer().generate(request).text.split(". ")
        return ". ".join([first, INVENTED.rstrip("."), *rest])

    def generate(self, request: GenerationRequest) -> Draft:
        self.calls.append("generate")
        return Draft(self.text(request))

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        self.calls.append("stream")
        for n, piece in enumerate(pieces(self.text(request), 5)):
            if self.fail_after is not None and n == self.fail_after:
                raise ConnectionError("the model server went away")
            yield piece

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        return None


PRICE = "how much do the Pro and Business plans cost per month?"


def with_model(assistant: SupportAssistant, model: Any) -> SupportAssistant:
    """The sample assistant writing with `model`; every grounded answer is shown (these tests
    are about how sentences travel, not about where the confidence threshold sits)."""
    settings = assistant.settings.model_copy(update={"confidence_threshold": 0.0})
    return dataclasses.replace(assistant, chat_model=model, settings=settings)


def test_an_answer_streams_its_checked_sentences_and_ends_with_all_of_them(
    sample_assistant: SupportAssistant,
) -> None:
    model, sent = Scripted(), []
    answer = with_model(sample_assistant, model).answer(PRICE, on_sentence=sent.append)
    assert model.calls == ["stream"]
    assert sent and not any("hoodie" in s for s in sent)
    assert not answer.needs_handoff and "hoodie" not in answer.text
    assert " ".join(answer.text.split()) == " ".join(" ".join(sent).split())
    assert answer.backend == "scripted" and answer.failure is None


def test_without_a_sink_the_model_generates_as_before(sample_assistant: SupportAssistant) -> None:
    model = Scripted()
    streamed = with_model(sample_assistant, Scripted()).answer(PRICE, on_sentence=lambda _: None)
    answer = with_model(sample_assistant, model).answer(PRICE)
    assert model.calls == ["generate"]
    assert (answer.text, answer.confidence) == (streamed.text, streamed.confidence)


def test_the_extractive_composer_does_not_stream(sample_assistant: SupportAssistant) -> None:
    sent: list[str] = []
    answer = sample_assistant.answer(PRICE, on_sentence=sent.append)
    assert sent == [] and answer.text == sample_assistant.answer(PRICE).text


def test_a_stream_that_breaks_falls_back_like_a_failed_generate(
    sample_assistant: SupportAssistant,
) -> None:
    sent: list[str] = []
    answer = with_model(sample_assistant, Scripted(fail_after=30)).answer(
        PRICE, on_sentence=sent.append
    )
    assert answer.failure == "backend_unavailable" and answer.needs_handoff
    assert answer.draft == sample_assistant.answer(PRICE).draft  # the extractive fallback
    assert sent  # what was shown before the break is retracted by the server (the turn hands off)


@pytest.mark.parametrize(
    "message",
    [
        "I want to talk to a real person about the Pro plan price, please.",
        "This is useless garbage, I am furious! What does the Pro plan cost per month?",
    ],
)
def test_a_turn_that_triage_hands_off_streams_nothing(
    sample_assistant: SupportAssistant, message: str
) -> None:
    model, sent = Scripted(), []
    reply = with_model(sample_assistant, model).respond(message, on_sentence=sent.append)
    assert reply.decision.action == "handoff"
    assert sent == [] and model.calls == ["generate"]


def test_an_ordinary_turn_streams(sample_assistant: SupportAssistant) -> None:
    model, sent = Scripted(), []
    reply = with_model(sample_assistant, model).respond(PRICE, on_sentence=sent.append)
    assert reply.decision.action == "answer" and model.calls == ["stream"] and sent
    assert all(s in reply.answer.text for s in sent)
