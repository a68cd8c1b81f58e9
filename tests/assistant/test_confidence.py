"""Confidence features: pure functions of what retrieval and generation produced."""

from __future__ import annotations

import pytest

from assistant.confidence import Calibration, features, settled
from assistant.types import Chunk, Passage


def found(dense_rank: int | None, keyword_rank: int | None) -> Passage:
    chunk = Chunk("c1", "faq:what-is-it", 0, "What is COVID-19? A disease.", "", {"kind": "faq"})
    return Passage(chunk, 1.0, 0.75, dense_rank, 1.2, keyword_rank)


@pytest.mark.parametrize(
    ("dense_rank", "keyword_rank", "agreement"),
    [
        (1, 1, 1.0),
        (3, 2, 1.0),
        # Keyword search ranks the right FAQ fourth when the question's words are in every
        # document ("what is covid 19"): weaker evidence, not none.
        (1, 4, 0.75),
        (6, 1, 0.5),
        (1, None, 3 / 99),  # the keyword search did not find it at all
    ],
)
def test_agreement_falls_with_the_worse_rank_of_the_two_searches_beyond_the_third(
    dense_rank: int, keyword_rank: int | None, agreement: float
) -> None:
    values = features("what is covid 19", [found(dense_rank, keyword_rank)], "", 1.0, False)
    assert values["agreement"] == pytest.approx(agreement)


def test_no_passage_no_agreement() -> None:
    assert features("what is covid 19", [], "", 0.0, True)["agreement"] == 0.0


def scored(*dense: float) -> list[Passage]:
    return [
        Passage(Chunk(f"c{n}", f"article:a{n}", 0, "Text.", "", {}), 1.0, d, n, 1.0, n)
        for n, d in enumerate(dense, start=1)
    ]


@pytest.mark.parametrize(
    ("dense", "margin"),
    [
        # An FAQ, an article and a past case answering the same question cluster at the top:
        # the margin is the gap down to the fifth document, not to the next one.
        ((0.70, 0.69, 0.68, 0.50, 0.45), 0.25),
        ((0.70, 0.69, 0.68, 0.50, 0.45, 0.30), 0.25),
        ((0.70, 0.60), 0.10),  # fewer found: down to the last
        ((0.70,), 0.70),
        ((), 0.0),
    ],
)
def test_the_margin_is_how_far_the_best_passage_stands_above_the_crowd(
    dense: tuple[float, ...], margin: float
) -> None:
    values = features("how do I connect my bank", scored(*dense), "", 1.0, False)
    assert values["dense_margin"] == pytest.approx(margin)


def test_a_feature_that_cannot_move_the_confidence_across_the_threshold_is_settled() -> None:
    calibration = Calibration({"dense_top": 4.0, "answer_similarity": 0.5}, bias=-2.0)
    threshold = 0.55  # a logit of 0.2
    # 4 × 0.6 − 2 = 0.4: answered whatever the similarity in [0, 1] (0.4 to 0.9)
    assert settled(calibration, {"dense_top": 0.6}, "answer_similarity", threshold)
    # 4 × 0.1 − 2 = −1.6: handed off whatever it is (−1.6 to −1.1)
    assert settled(calibration, {"dense_top": 0.1}, "answer_similarity", threshold)
    # 4 × 0.5 − 2 = 0: the similarity decides (0 to 0.5)
    assert not settled(calibration, {"dense_top": 0.5}, "answer_similarity", threshold)
    # …and over a wider range, more turns are left to it
    assert not settled(calibration, {"dense_top": 0.6}, "answer_similarity", threshold, -1.0)


def test_a_negative_weight_is_settled_the_same_way() -> None:
    calibration = Calibration({"dense_top": 4.0, "answer_similarity": -0.5}, bias=-2.0)
    assert settled(calibration, {"dense_top": 0.9}, "answer_similarity", 0.55)
    assert not settled(calibration, {"dense_top": 0.6}, "answer_similarity", 0.55)
