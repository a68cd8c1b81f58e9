"""How the two searches are fused, and what an answer may read: the retrieved chunk widened to
its section, and for a how-to question the article's steps about it."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.grounding import resolution_of, resolution_vector
from assistant.retrieval import (
    Filters,
    Retriever,
    document_scores,
    fuse,
    merge_texts,
    section_naming,
    steps_about,
)
from assistant.service import SupportAssistant
from assistant.text import RESOLUTION_VECTOR_FIELD
from assistant.types import Chunk, Hit, Passage

# The REST API question: the FAQ about API keys is far closer in meaning than anything else,
# while a security page that mentions "API" tops the keyword search and the FAQ is 19th there.
DENSE = [Hit("faq", 0.506), Hit("other", 0.399), Hit("security", 0.388), Hit("last", 0.30)]
KEYWORD = [Hit("security", 9.1), Hit("other", 8.0)]
KEYWORD += [Hit(f"k{n}", 7.9 - n / 10) for n in range(16)] + [Hit("faq", 6.1)]


def test_fused_scores_keep_how_far_apart_the_dense_scores_were() -> None:
    fused = fuse(DENSE, KEYWORD, dense_weight=1.0, keyword_weight=0.5)
    order = [f.chunk_id for f in fused]
    assert order[0] == "faq" and order.index("security") > 0
    assert min(f.score for f in fused) >= 0.0 and max(f.score for f in fused) <= 1.0


def test_rank_fusion_lets_a_keyword_match_outvote_a_far_closer_meaning() -> None:
    # Why rank fusion is not the default: with ranks only, the gap in meaning is lost.
    order = [f.chunk_id for f in fuse(DENSE, KEYWORD, 1.0, 0.5, method="rrf")]
    assert order.index("security") < order.index("faq")


def test_either_search_alone_still_fuses() -> None:
    assert [f.chunk_id for f in fuse(DENSE, [], 1.0, 0.5)] == ["faq", "other", "security", "last"]
    assert fuse([], [Hit("only", 3.0)], 1.0, 0.5)[0].score == pytest.approx(0.5 / 1.5)


def test_a_document_matches_by_its_best_chunk_in_each_search() -> None:
    # "How often does it pull in transactions?": the bank article's overview is closest in
    # meaning and its sync table holds the words; another article's one chunk is a little
    # behind on both. The article whose parts match on both counts ranks first as a whole.
    dense = [Hit("bank:overview", 0.67), Hit("import:dupes", 0.66), Hit("far", 0.40)]
    keyword = [Hit("bank:sync", 5.8), Hit("import:dupes", 3.1), Hit("far", 1.0)]
    chunks = {
        cid: Chunk(cid, cid.split(":")[0], 0, "", "", {"kind": "article"})
        for cid in ("bank:overview", "bank:sync", "import:dupes", "far")
    }
    fused = fuse(dense, keyword, 1.0, 0.5)
    assert fused[0].chunk_id == "import:dupes"  # no single chunk of the bank article leads
    scores = document_scores(fused, chunks)
    assert max(scores, key=scores.__getitem__) == "bank"
    assert scores["bank"] == pytest.approx(1.0)  # the best of both searches
    assert scores["import"] == pytest.approx(fused[0].score)  # one chunk: its own score


def chunk(ordinal: int, section: str, text: str) -> Chunk:
    return Chunk(f"c{ordinal}", "article:bank", ordinal, text, section, {"kind": "article"})


ARTICLE = [
    chunk(0, "", "Connecting your bank brings your transactions in automatically."),
    chunk(1, "Before you start", "- Your plan: Starter or above.\n- Your bank login."),
    chunk(2, "Connect a bank", "1. Go to Banking → Connections.\n2. Select Add connection."),
    chunk(3, "Connect a bank", "3. Sign in to your bank and approve read-only access."),
    chunk(4, "Disconnect an account", "1. Open the connection.\n2. Select Disconnect."),
]


def test_the_steps_about_the_question_are_found_whole() -> None:
    steps = steps_about(ARTICLE, "how do I connect my bank?")
    assert steps is not None and steps.section == "Connect a bank"
    assert "1. Go to Banking" in steps.text and "3. Sign in to your bank" in steps.text
    assert steps_about(ARTICLE, "how do I disconnect an account?").section == (  # type: ignore[union-attr]
        "Disconnect an account"
    )
    assert steps_about(ARTICLE, "how do I export payroll?") is None  # no steps about it


def test_chunks_meeting_at_a_block_boundary_keep_it_and_a_list_split_across_two_stays_one() -> None:
    steps = chunk(1, "Connect", "1. Go to Banking.\n2. Select **Finish**. It takes a minute.")
    after = chunk(2, "Connect", "**What counts as a connection?** One login at one bank.")
    assert merge_texts([steps, after]) == (
        "1. Go to Banking.\n2. Select **Finish**. It takes a minute.\n\n"
        "**What counts as a connection?** One login at one bank."
    )
    rest = chunk(3, "Connect", "3. Approve read-only access.")
    assert merge_texts([steps, rest]).endswith("It takes a minute.\n3. Approve read-only access.")
    wrapped = chunk(4, "Connect", "1. Choose a start date; many banks\n   keep 90 days.")
    assert merge_texts([wrapped, rest]).endswith("keep 90 days.\n3. Approve read-only access.")
    repeated = chunk(5, "Connect", "2. Select **Finish**. It takes a minute.\n3. Approve it.")
    assert merge_texts([steps, repeated]).count("2. Select") == 1  # the overlap is read once


ERRORS = [
    chunk(0, "", "If an invoice never arrived, find out why here."),
    chunk(
        1, "Error INV-310: address rejected", "| Cause | Fix |\n| --- | --- |\n| Typo | Fix it |"
    ),
    chunk(
        2, "Error INV-310: address rejected > Fix and resend", "1. Correct the email.\n2. Resend."
    ),
    chunk(3, "Delivered but not found", "- Ask them to check their spam folder."),
    chunk(4, "Error INV-320: attachment too large", "1. Remove an attachment."),
]


def test_an_error_code_brings_its_section_with_its_subsections_as_one_chunk() -> None:
    named = section_naming(ERRORS, {"INV-310"})
    assert named is not None and named.section == "Error INV-310: address rejected"
    assert "| Typo | Fix it |" in named.text and "1. Correct the email." in named.text
    assert "\n\n1. Correct" in named.text  # the table and the steps stay two blocks
    assert "spam" not in named.text and "attachment" not in named.text
    assert section_naming(ERRORS, {"BANK-102"}) is None  # no heading names it


def test_a_how_to_question_answered_from_an_overview_gets_the_steps(
    sample_assistant: SupportAssistant,
) -> None:
    answer = sample_assistant.answer("how do i stop my subscription")
    assert "1. Sign in to app.tallybook.example as the Owner." in answer.draft
    assert "Confirm cancellation" in answer.draft


def test_when_a_past_case_matches_best_the_guidance_its_resolution_applied_leads(
    sample_assistant: SupportAssistant,
) -> None:
    question = (
        "Our September invoice is $41 but Pro is $29?? Nobody told us about a price increase."
    )
    retriever = sample_assistant.retriever
    passages = retriever.search(question)
    assert passages[0].kind == "case"  # the customer's story matches a past case best
    top = retriever.guided(passages, 3)
    assert top[0].document_id == "article:articles/billing/compare-plans-and-pricing"
    assert top[0].chunk.section == "Extra users"  # the section the agent's fix applied
    assert passages[0].document_id in {p.document_id for p in top}  # the case still supports it
    assert len(top) == 3
    # Led by an article or an FAQ already: nothing changes.
    led = [p for p in passages if p.kind != "case"]
    assert retriever.guided(led, 3) == led[:3]


def test_guidance_the_question_never_found_does_not_lead(
    sample_assistant: SupportAssistant,
) -> None:
    # The past case is this customer's story (an overstated profit from uncategorised bank
    # transactions); its resolution is closest to the page on expense categories. Where the
    # question itself did not find that page, it is not the answer: the case is.
    question = (
        "My Profit & Loss for Q1 says 18,400 profit but we barely broke even and the bank "
        "balance agrees with me. What's wrong with the report?"
    )
    retriever = sample_assistant.retriever
    passages = retriever.search(question)
    assert passages[0].kind == "case"
    pointed = retriever.search(resolution_of(passages[0]), Filters(kinds=("article", "faq")), k=1)
    assert pointed
    unfound = [p for p in passages if p.document_id != pointed[0].document_id]
    assert retriever.guided(unfound, 3) == unfound[:3]
    if len(unfound) < len(passages):  # found after all: then it leads
        assert retriever.guided(passages, 3)[0].document_id == pointed[0].document_id


def test_a_past_cases_guidance_is_searched_once_per_index_generation(
    sample_assistant: SupportAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "Our October invoice is $47 but Pro is $29?? Nobody told us about a price increase."
    passages = sample_assistant.retriever.search(question)
    assert passages[0].kind == "case"
    searched: list[str] = []
    search = Retriever.search

    def counted(self: Retriever, query: str, *args: object, **kwargs: object) -> list[Passage]:
        searched.append(query)
        return search(self, query, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Retriever, "search", counted)
    first = sample_assistant.retriever.guided(passages, 3)
    searches = len(searched)  # 1, or 0 if an earlier test's turn was led by this case
    again = sample_assistant.retriever.guided(passages, 3)  # another turn led by the same case
    assert again == first
    assert len(searched) == searches


def test_a_past_cases_resolution_is_embedded_at_ingest_not_in_the_customers_turn(
    sample_assistant: SupportAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = (
        "Our November invoice is $53 but the Pro plan is $29?? Nobody told us about a price "
        "increase."
    )
    passages = sample_assistant.retriever.search(question)
    case = passages[0]
    assert case.kind == "case"
    stored = resolution_vector(case)
    live = sample_assistant.embedder.embed([resolution_of(case)])[0]
    assert stored is not None and np.allclose(stored, live, atol=1e-5)
    # The vector store gets the chunk's own vector only, not this one in its metadata.
    kept = sample_assistant.index.vectors._collection.get(  # type: ignore[attr-defined]
        ids=[case.chunk.id], include=["metadatas"]
    )
    assert RESOLUTION_VECTOR_FIELD not in kept["metadatas"][0]

    embedded: list[str] = []
    embed = sample_assistant.embedder.embed
    monkeypatch.setattr(sample_assistant.index, "remember", lambda key, compute: compute())
    monkeypatch.setattr(
        sample_assistant.embedder, "embed", lambda texts: embedded.extend(texts) or embed(texts)
    )
    top = sample_assistant.retriever.guided(passages, 3)
    assert top[0].document_id == "article:articles/billing/compare-plans-and-pricing"
    assert embedded == []
