"""Self-calibration: the knowledge base fits its own confidence model from probes, no labels."""

from __future__ import annotations

import random

import pytest

from assistant.confidence import Calibration, fallback_calibration
from assistant.ports import Embedder
from assistant.probes import PER_DOCUMENT, Probe
from assistant.retrieval import Filters
from assistant.selfcal import (
    MIN_EACH,
    PROBE_FEATURES,
    ProbeResult,
    fit,
    measuring,
    run_probes,
    stored,
)
from assistant.service import SupportAssistant
from assistant.settings import Settings
from ingest.sync import Indexer, SyncReport
from tests.conftest import WriteFiles


def result(kind: str, own: bool, correct: bool, dense: float) -> ProbeResult:
    probe = Probe("q?", "doc" if kind != "offtopic" else "", frozenset({"doc"}), kind)  # type: ignore[arg-type]
    values = {"best_match": dense, "dense_margin": dense / 4, "answer_similarity": dense}
    return ProbeResult(probe, own, correct, values)


def synthetic(n: int = 60, seed: int = 1) -> list[ProbeResult]:
    rng = random.Random(seed)
    found = [result("sentence", True, True, rng.uniform(0.5, 0.9)) for _ in range(n)]
    missed = [result("sentence", True, False, rng.uniform(0.4, 0.6)) for _ in range(10)]
    away = [result("sentence", False, False, rng.uniform(0.2, 0.6)) for _ in range(n)]
    off = [result("offtopic", False, False, rng.uniform(0.0, 0.2)) for _ in range(20)]
    return found + missed + away + off


def test_labels_answered_from_source_one_left_out_zero_other_sources_ambiguous() -> None:
    assert result("sentence", True, True, 0.8).label == 1
    assert result("sentence", False, False, 0.8).label == 0
    assert result("question", True, False, 0.8).label is None


def test_the_fit_learns_that_closer_means_answerable_and_sets_the_target_operating_point() -> None:
    runs = synthetic()
    calibration = fit(runs, handoff_target=0.75)
    assert calibration is not None
    assert set(calibration.weights) == set(PROBE_FEATURES)
    assert calibration.weights["best_match"] > 0
    away = [
        calibration.probability(r.features)
        for r in runs
        if not r.own and r.probe.kind == "sentence"
    ]
    handed_off = sum(p < calibration.threshold for p in away) / len(away)
    assert handed_off == pytest.approx(0.75, abs=0.03)
    assert calibration.details is not None and calibration.details["auroc_probes_held_out"] > 0.8


def test_a_stricter_target_raises_the_threshold() -> None:
    lenient, strict = fit(synthetic(), 0.6), fit(synthetic(), 0.9)
    assert lenient is not None and strict is not None
    assert strict.threshold > lenient.threshold


def test_too_few_probes_of_either_kind_keep_the_fallback() -> None:
    runs = synthetic(n=MIN_EACH - 5)
    assert fit([r for r in runs if r.label != 0], 0.75) is None


def test_a_calibration_round_trips_through_the_manifest_meta() -> None:
    calibration = fit(synthetic(), 0.75)
    assert calibration is not None
    import json

    again = stored({"calibration": json.dumps(calibration.to_json())})
    assert again == calibration and again.version == calibration.version
    assert stored({}) is None


def test_leaving_a_page_out_removes_it_from_the_candidates(
    sample_assistant: SupportAssistant,
) -> None:
    question = "How do I reconnect my bank feed?"
    found = sample_assistant.retriever.search(question)
    page = frozenset({found[0].document_id})
    away = sample_assistant.retriever.search(question, Filters(exclude=page))
    assert found[0].document_id not in {p.document_id for p in away}


def test_probes_are_scored_on_measured_features_never_on_stand_ins(
    sample_assistant: SupportAssistant,
) -> None:
    assert sample_assistant.settings.confidence_shortcut
    faq = "faq:faq-account-02"
    probe = Probe(
        "what is the difference between admin and accountant", faq, frozenset({faq}), "question"
    )
    [result] = run_probes(sample_assistant, [probe])
    measured = measuring(sample_assistant).answer(probe.text)
    assert not measuring(sample_assistant).settings.confidence_shortcut
    assert result.features == measured.features
    # (the turn's own answer reads the cited passage's similarity instead: a clear answer)
    assert sample_assistant.answer(probe.text).features != measured.features


def test_the_sample_knowledge_base_calibrates_itself_when_indexed(
    sample_index: tuple[Settings, SyncReport], sample_assistant: SupportAssistant
) -> None:
    _, report = sample_index
    calibration = sample_assistant.index.calibration()
    assert isinstance(calibration, Calibration)
    assert report.calibration == calibration.version
    assert "self-calibrated" in calibration.source
    details = calibration.details or {}
    assert int(details["positives"]) >= MIN_EACH and int(details["negatives"]) >= MIN_EACH  # type: ignore[call-overload]
    assert float(details["auroc_probes_held_out"]) > 0.75  # type: ignore[arg-type]
    assert 0.05 < calibration.threshold < 0.95
    assert details["per_document"] == PER_DOCUMENT  # enough documents for the usual depth


# Eight FAQs: too few documents for the usual two probes each.
FAQS = [
    (
        "How do I reconnect my bank feed?",
        "Open Banking and select the connection with the "
        "yellow warning. Click Reconnect and sign in to your bank again when it asks. "
        "Transactions from the days the feed was stopped are fetched once it reconnects.",
    ),
    (
        "Can I pay for my plan with PayPal?",
        "PayPal can be used for annual plans only. Monthly "
        "plans are paid by card, which you add under Settings and Billing. You can switch the "
        "payment method at any time before the next renewal date.",
    ),
    (
        "How do I add my logo to invoices?",
        "Go to Settings and open the Invoice template "
        "page. Upload a PNG or JPG logo of up to two megabytes in size. The logo appears at the "
        "top left of every invoice and quote you send afterwards.",
    ),
    (
        "What file formats can I upload as receipts?",
        "Receipts can be uploaded as JPG, PNG or "
        "PDF files up to twenty five megabytes each. Photos taken with the mobile app are "
        "converted automatically before they are stored. Several receipts can be dropped onto "
        "the expenses page at once.",
    ),
    (
        "How do I invite my accountant?",
        "Open Settings and choose Team to see everybody in the "
        "workspace. Select Invite and enter the accountant's email address with the Accountant "
        "role. The accountant can see every report but cannot change any settings.",
    ),
    (
        "How often do bank transactions sync?",
        "Connected accounts are synced automatically "
        "every four hours during the day. The Sync now button fetches new transactions at most "
        "once every fifteen minutes. Pending card payments appear only after the bank books them.",
    ),
    (
        "How do I export all my data?",
        "An Owner can request a full export under Settings and "
        "Account. The export is prepared in the background and a download link is emailed. The "
        "link in that email expires after forty eight hours for safety reasons.",
    ),
    (
        "How do I turn on two-factor authentication?",
        "Open your Profile and choose the Security "
        "tab to manage sign in options. Scan the QR code with an authenticator app on your phone. "
        "Save the backup codes somewhere safe in case you lose the phone later.",
    ),
]


def test_a_help_center_of_a_few_faqs_calibrates_itself_rather_than_falling_back(
    write: WriteFiles, indexer: Indexer
) -> None:
    write(
        "faqs.yaml",
        "".join(f"- id: f{n}\n  question: {q}\n  answer: {a}\n" for n, (q, a) in enumerate(FAQS)),
    )
    report = indexer.sync()
    calibration = stored(indexer.manifest.meta())
    assert calibration is not None and report.calibration == calibration.version
    assert "self-calibrated" in calibration.source
    probes = (calibration.details or {})["probes"]
    assert isinstance(probes, dict)
    assert sum(probes.values()) > 2 * 2 * len(FAQS)  # deeper than two probes per document
    assert (calibration.details or {})["per_document"] == 300 // len(FAQS) + 1  # as 300 allows


def test_the_packaged_fallback_weighs_only_features_that_mean_the_same_everywhere() -> None:
    fallback = fallback_calibration()
    assert set(fallback.weights) == set(PROBE_FEATURES)  # no keyword strength, no word overlap
    assert "self-calibration" in fallback.source


def test_an_index_too_small_to_probe_still_answers_what_it_covers(
    write: WriteFiles, indexer: Indexer, settings: Settings, embedder: Embedder
) -> None:
    write(
        "faqs.yaml",
        "".join(
            f"- id: f{n}\n  question: {q}\n  answer: {a}\n" for n, (q, a) in enumerate(FAQS[:2])
        ),
    )
    indexer.sync()
    assert stored(indexer.manifest.meta()) is None  # too little content: the fallback serves
    assistant = SupportAssistant.from_settings(settings, embedder)
    try:
        covered = [
            assistant.answer(q)
            for q in (
                "bank transactions not coming in anymore",
                "the bank connection has a yellow warning",
                "can i use paypal to pay",
            )
        ]
        elsewhere = assistant.answer("how do i add a logo to my invoices")
    finally:
        assistant.index.close()
    assert {a.calibration for a in covered} == {fallback_calibration().version}
    assert not any(a.needs_handoff for a in covered)
    assert elsewhere.needs_handoff


def test_every_answer_records_the_calibration_and_operating_point_that_scored_it(
    sample_assistant: SupportAssistant,
) -> None:
    calibration = sample_assistant.current_calibration()
    answer = sample_assistant.answer("How do I reconnect my bank feed?")
    assert answer.calibration == calibration.version
    assert answer.threshold == calibration.threshold
    assert answer.needs_handoff == (answer.confidence < answer.threshold)


def test_a_golden_refinement_is_applied_over_whatever_self_calibration_the_index_has() -> None:
    import json

    from assistant.confidence import Refinement
    from assistant.selfcal import META_KEY, REFINEMENT_KEY

    refinement = Refinement(2.0, {"query_coverage": 1.0}, -0.5, 0.7, "refined on 9 golden cases")
    first, second = fit(synthetic(seed=1), 0.75), fit(synthetic(seed=2), 0.75)
    assert first is not None and second is not None
    for base in (first, second):  # a re-index re-fits the base; the refinement stays
        meta = {
            META_KEY: json.dumps(base.to_json()),
            REFINEMENT_KEY: json.dumps(refinement.to_json()),
        }
        refined = stored(meta)
        assert refined is not None and refined.threshold == 0.7
        values = {"best_match": 0.6, "dense_margin": 0.1, "query_coverage": 0.5}
        assert refined.logit(values) == pytest.approx(
            2.0 * base.logit(values) + 0.5 - 0.5, abs=1e-4
        )
        assert (refined.details or {})["base"] == base.version
