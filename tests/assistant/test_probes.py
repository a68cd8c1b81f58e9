"""Probe questions written from a knowledge base's own content (self-calibration's input)."""

from __future__ import annotations

import random

from assistant.probes import (
    PER_DOCUMENT,
    as_question,
    build_probes,
    deeper,
    is_question,
    offtopic_probes,
    page_groups,
    sentence_query,
)
from assistant.types import Document


def doc(id: str, title: str, text: str, kind: str = "article", url: str = "") -> Document:
    return Document(id=id, kind=kind, title=title, text=text, url=url)  # type: ignore[arg-type]


BODY = (
    "Open Settings and choose Banking to see every connected account. "
    "A connection that stopped syncing shows a yellow warning next to the bank name. "
    "Reconnecting asks the bank to confirm your identity again before transactions flow."
)


def test_a_page_is_every_document_sharing_its_address_or_title() -> None:
    groups = page_groups(
        [
            doc("a#1", "Bank feeds", BODY, url="https://help.example/bank"),
            doc("a#2", "Reconnecting", BODY, url="https://help.example/bank#reconnect"),
            doc("b", "Bank feeds", BODY),
            doc("c", "Invoices", BODY),
            doc("case:1", "Bank feeds", BODY, kind="case"),  # case subjects repeat: no page
        ]
    )
    assert groups["a#1"] == {"a#1", "a#2", "b"}
    assert groups["a#2"] == {"a#1", "a#2"}
    assert groups["c"] == {"c"}
    assert groups["case:1"] == {"case:1"}


def test_questions_are_recognised_and_headings_phrased_as_questions() -> None:
    assert is_question("How do I reconnect my bank?")
    assert is_question("what is a chargeback")
    assert not is_question("Reconnecting a bank")
    assert as_question("Reconnect your bank account") == "Reconnect your bank account?"
    assert as_question("Overview") is None


def test_a_sentence_query_is_a_short_run_of_the_sentences_own_words() -> None:
    sentence = "A connection that stopped syncing shows a yellow warning next to the bank name."
    query = sentence_query(sentence, random.Random(3))
    assert query is not None and query.endswith("?")
    words = query.rstrip("?").split()
    assert 5 <= len(words) <= 9
    assert " ".join(words) in sentence  # in order, nothing invented
    assert sentence_query("Too short to ask.", random.Random(3)) is None


def test_every_kind_of_content_gives_probes_and_the_same_index_the_same_probes() -> None:
    documents = [
        doc("faq:1", "How do I reconnect my bank?", "Open Banking and click Reconnect.", "faq"),
        doc("case:7", "Bank feed stuck since Monday", BODY, "case"),
        doc("art:1", "Bank feeds", "# Bank feeds\n\n## Reconnect a bank account\n\n" + BODY),
    ]
    probes = build_probes(documents)
    kinds = {(p.document_id, p.kind) for p in probes}
    assert ("faq:1", "question") in kinds
    assert ("case:7", "subject") in kinds
    assert ("art:1", "sentence") in kinds
    assert all(p.document_id in p.leave_out for p in probes)
    assert probes == build_probes(documents)
    assert len(build_probes(documents * 1, limit=2)) == 2


def test_a_small_help_center_is_probed_deeper_with_other_runs_of_its_sentences() -> None:
    documents = [doc(f"faq:{n}", f"How do I fix thing {n}?", BODY, "faq") for n in range(4)]
    assert deeper(documents, limit=300) == 75
    assert deeper(documents * 200, limit=300) == PER_DOCUMENT  # many documents: the usual share
    usual = [p for p in build_probes(documents) if p.kind == "sentence"]
    deep = [p for p in build_probes(documents, deeper(documents, 300)) if p.kind == "sentence"]
    assert len(usual) == 4 and len(deep) > 2 * len(usual)
    for document in documents:
        texts = [p.text for p in deep if p.document_id == document.id]
        assert len(texts) == len(set(texts))  # other runs of words, never the same one twice
        assert all(t.rstrip("?") in BODY for t in texts)


def test_off_topic_probes_are_plenty_and_belong_to_no_document() -> None:
    probes = offtopic_probes()
    assert len(probes) >= 30
    assert all(p.document_id == "" and p.kind == "offtopic" for p in probes)
