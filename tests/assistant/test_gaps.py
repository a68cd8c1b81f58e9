"""Content gaps: the customers' questions grouped by meaning with the real embedder, and a
draft article assembled from the agents' resolutions (or written by the model)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from assistant.gaps import GapCluster, cluster, draft_article, extractive_draft, title_of
from assistant.ports import Embedder
from assistant.store.gaps import GapQuestion
from assistant.types import Draft, GenerationRequest, Message

AT = datetime(2026, 12, 1, tzinfo=UTC)


def asked(text: str, conversation: str, resolution: str = "") -> GapQuestion:
    return GapQuestion(conversation, hash(text) % 10_000, text, AT, "handoff", resolution)


QUILLBOX = [
    asked("How do I send receipts to Quillbox?", "c1", "Connect Quillbox under Integrations."),
    asked(
        "can tallybook push receipts into quillbox", "c2", "Connect Quillbox under Integrations."
    ),
    asked("Is there a Quillbox integration for my receipts?", "c3", "Quillbox syncs every 5 min."),
]
PAYROLL = [
    asked("Do you run payroll for employees in Canada?", "c4"),
    asked("can I pay my canadian staff salaries with tallybook", "c5"),
]


def test_questions_with_one_meaning_form_one_gap_and_the_largest_comes_first(
    embedder: Embedder,
) -> None:
    groups = cluster([*PAYROLL, *QUILLBOX], embedder)
    assert [g.conversations for g in groups] == [3, 2]
    assert {q.conversation_id for q in groups[0].questions} == {"c1", "c2", "c3"}
    assert "quillbox" in groups[0].representative.lower()
    assert groups[0].id == cluster(list(reversed(QUILLBOX)), embedder)[0].id  # stable
    assert cluster([], embedder) == []


def test_the_extractive_draft_puts_the_most_common_resolution_first() -> None:
    group = cluster_of(QUILLBOX)
    draft = extractive_draft(group)
    assert draft.sources == 2 and draft.written_by == "extractive"
    first, second = draft.body.index("Connect Quillbox"), draft.body.index("syncs every 5")
    assert first < second and draft.body.count("Connect Quillbox under Integrations.") == 1
    assert "Customers asked" in draft.body and draft.title.endswith("?")


def test_a_gap_nobody_resolved_gets_a_placeholder_not_an_invented_answer() -> None:
    draft = extractive_draft(cluster_of(PAYROLL))
    assert draft.sources == 0 and "write the answer here" in draft.body


def test_titles_come_from_the_most_typical_question_without_the_greeting() -> None:
    assert (
        title_of("hi, how do I export to Quillbox? it keeps failing")
        == "How do I export to Quillbox?"
    )
    assert title_of("   ") == "New article"


class Writer:
    name = "openai"

    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        self.prompts.append(messages[-1].content)
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply

    def generate(self, request: GenerationRequest) -> Draft:
        raise AssertionError("not used")

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        raise AssertionError("not used")


def test_a_language_model_writes_the_draft_from_the_resolutions_and_falls_back_when_down() -> None:
    model = Writer("1. Open **Settings → Integrations**.\n2. Connect Quillbox.")
    draft = draft_article(cluster_of(QUILLBOX), model)
    assert draft.written_by == "openai" and draft.body.startswith("1. Open")
    assert "Connect Quillbox under Integrations." in model.prompts[0]
    down = draft_article(cluster_of(QUILLBOX), Writer(ConnectionError("refused")))
    assert down.written_by == "extractive" and "Connect Quillbox" in down.body
    unused = Writer("never")
    assert draft_article(cluster_of(PAYROLL), unused).written_by == "extractive"
    assert unused.prompts == []  # nothing to write from: the model is not asked to invent


def cluster_of(questions: list[GapQuestion]) -> GapCluster:
    return GapCluster("x", questions, len({q.conversation_id for q in questions}))
