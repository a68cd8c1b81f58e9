"""The case summary: structured, complete, and never inventing a fact."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.backends import make_chat_model
from assistant.desk import HelpDesk
from assistant.handoff.summary import issue_line, untraceable, written
from assistant.settings import Settings
from assistant.store.protocol import Customer
from assistant.types import Draft, GenerationRequest, Message
from tests.conftest import SAMPLE_KB

SECTIONS = {
    "customer", "channel", "issue", "category", "description", "tried", "suggested_articles",
    "diagnosis", "next_steps", "draft_reply", "sentiment", "priority", "handoff_reasons",
    "explanation", "confidence", "fields", "missing", "transcript", "written_by", "triggers",
    "also_reported",
}  # fmt: skip


def knowledge_base_text() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(SAMPLE_KB.rglob("*"))
        if p.is_file() and not p.name.lower().startswith(("golden", "readme"))
    )


def golden_handoffs(limit: int) -> list[list[str]]:
    cases = yaml.safe_load((SAMPLE_KB / "golden.yaml").read_text())["cases"]
    chosen = [c for c in cases if c["expected"] == "handoff"]
    step = max(1, len(chosen) // limit)
    return [c.get("turns") or [c["question"]] for c in chosen[::step][:limit]]


def prose(summary: dict[str, Any]) -> list[str]:
    """Every piece of text in the summary a reader takes as a statement of fact."""
    return [
        summary["issue"],
        summary["description"],
        summary["diagnosis"]["text"],
        summary["draft_reply"],
        summary["explanation"],
        *summary["next_steps"],
        *(t["what"] for t in summary["tried"]),
        *summary["fields"].values(),
        *summary["priority"]["why"],
    ]


def sources_of(summary: dict[str, Any], kb: str) -> list[str]:
    """What a summary may draw on: the knowledge base, the transcript, and the customer context
    the widget passed."""
    customer = [str(v) for v in summary["customer"].values()]
    return [kb, *(m["text"] for m in summary["transcript"]), *customer]


def hand_off(desk: HelpDesk, turns: Sequence[str]) -> dict[str, Any]:
    c = desk.start(Customer(email="pat@firm.example", plan="pro"))
    for text in turns:
        turn = desk.send(c.id, c.token, text)
    for answer in ("It shows no error message.", "It started this morning."):
        if turn.action != "clarify":
            break
        turn = desk.send(c.id, c.token, answer)
    assert turn.handoff is not None, (turns, turn)
    return desk.agents.case(turn.handoff.case_id).summary


def test_a_hand_off_summary_has_every_section_the_agent_reads(sample_desk: HelpDesk) -> None:
    summary = hand_off(
        sample_desk,
        ["My bank feed stopped syncing since yesterday, it says 'BANK-102'. I want a person."],
    )
    assert set(summary) == SECTIONS
    assert summary["issue"].startswith("My bank feed stopped syncing")
    assert summary["category"] == "problem"
    assert summary["fields"]["Error message"] == "BANK-102"
    assert summary["customer"]["plan"] == "pro"
    assert summary["diagnosis"]["sources"]
    assert summary["diagnosis"]["similar_cases"]
    assert summary["handoff_reasons"] == ["human_requested"]
    assert summary["transcript"][0]["speaker"] == "customer"
    assert summary["sentiment"]["trend"] in {"rising", "steady", "falling"}
    assert summary["written_by"] == "extractive"
    json.dumps(summary)  # stored as JSON: nothing that does not serialise


def test_the_extractive_summary_never_invents_a_fact(sample_desk: HelpDesk) -> None:
    kb = knowledge_base_text()
    checked = summaries = 0
    for turns in golden_handoffs(limit=12):
        c = sample_desk.start(Customer(email="pat@firm.example", plan="pro"))
        for text in turns:
            turn = sample_desk.send(c.id, c.token, text)
        for _ in range(2):  # an intake question: the customer has nothing more to add
            if turn.action == "clarify" and turn.asks_for:
                turn = sample_desk.send(c.id, c.token, "I don't know, sorry")
        if turn.handoff is None:  # answered instead: the decision is tested elsewhere
            continue
        summaries += 1
        summary = sample_desk.agents.case(turn.handoff.case_id).summary
        for text in prose(summary):
            assert untraceable(text, sources_of(summary, kb)) == [], (turns, text)
            checked += 1
    assert summaries >= 9 and checked >= 80  # at least nine summaries, about nine sentences each


def test_untraceable_finds_invented_numbers_emails_links_and_codes() -> None:
    sources = ["Refunds within 30 days. Contact billing@tallybook.example. Error BANK-102."]
    assert untraceable("Refunds within 30 days; error BANK-102.", sources) == []
    assert untraceable("Refunds within 60 days.", sources) == ["60"]
    assert untraceable("Write to help@else.example", sources) == ["help@else.example"]
    assert untraceable("See https://evil.example/x", sources) == ["https://evil.example/x"]
    assert untraceable("Error BANK-777 again", sources) == ["777", "BANK-777"]


class ScriptedModel:
    """A chat model that writes what the test tells it to (the checks around it are real)."""

    name = "scripted"

    def __init__(self, reply: str | None) -> None:
        self.reply = reply

    def generate(self, request: GenerationRequest) -> Draft:
        return Draft("")

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        return iter(())

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        return self.reply


@pytest.fixture
def summary_input(sample_desk: HelpDesk) -> Any:
    """The inputs of a real refund hand-off, captured where the desk builds its summary."""
    captured: list[Any] = []
    import assistant.turn as desk_module

    original = desk_module.summarize

    def capture(inp: Any, model: Any) -> Any:
        captured.append(inp)
        return original(inp, model)

    desk_module.summarize = capture  # type: ignore[assignment]
    try:
        hand_off(sample_desk, ["I was double charged $29 on my card on March 3, refund it please"])
    finally:
        desk_module.summarize = original  # type: ignore[assignment]
    return captured[-1]


def test_llm_prose_is_kept_only_when_every_fact_is_in_the_sources(summary_input: Any) -> None:
    honest = ScriptedModel(
        json.dumps(
            {
                "issue": "Customer was charged twice ($29 on March 3) and wants a refund.",
                "diagnosis": "A double charge; the refund policy applies.",
                "reply": "Hi, sorry about the double charge of $29. I'm checking it now.",
            }
        )
    )
    summary = written(summary_input, honest).to_json()
    assert summary["issue"].startswith("Customer was charged twice")
    assert summary["written_by"].startswith("scripted (issue, diagnosis")
    # A written reply is kept only over a confident answer to the issue: never a guess.
    assert ("draft_reply" in summary["written_by"]) == bool(summary["draft_reply"])

    inventing = ScriptedModel(
        json.dumps(
            {
                "issue": "Customer was charged $2,917 and wants a refund.",
                "diagnosis": "Known bug BILL-991, see https://status.example/991.",
                "reply": "We refunded $29 to you@else.example already.",
            }
        )
    )
    summary = written(summary_input, inventing).to_json()
    assert summary["written_by"] == "extractive"
    assert "2,917" not in summary["issue"] and "BILL-991" not in summary["diagnosis"]["text"]


@pytest.mark.parametrize("reply", [None, "", "not json at all", '{"issue": 3'])
def test_an_llm_that_fails_or_rambles_leaves_the_extractive_summary(
    summary_input: Any, reply: str | None
) -> None:
    summary = written(summary_input, ScriptedModel(reply)).to_json()
    assert summary["written_by"] == "extractive"
    assert summary["issue"]


@pytest.mark.slow
def test_the_local_llm_writes_a_summary_that_passes_the_check(
    summary_input: Any, bundled_model: Path, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        chat_backend="local",
        local_model_path=bundled_model,
        llm_threads=2,
        llm_max_tokens=200,
    )
    model = make_chat_model(settings)
    summary = written(summary_input, model, max_tokens=200).to_json()
    kb = knowledge_base_text()
    for text in prose(summary):
        assert untraceable(text, sources_of(summary, kb)) == []
    assert set(summary) == SECTIONS


@pytest.mark.parametrize(
    ("said", "issue"),
    [
        (
            "I'd rather not deal with a bot. Please pass me to your support team; it concerns "
            "the VAT on our last subscription invoice.",
            "it concerns the VAT on our last subscription invoice.",
        ),
        ("Get me a human. My CSV export hangs at 90%.", "My CSV export hangs at 90%."),
    ],
)
def test_the_issue_line_skips_the_request_for_a_person(said: str, issue: str) -> None:
    assert issue_line([said]) == issue
