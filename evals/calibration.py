"""Refine a knowledge base's calibration with a labelled golden set, with honest held-out figures.

The self-calibration (`assistant/selfcal.py`) needs no labels; a team that has a golden set can
do better on its own questions. The refinement is a logistic regression over the
self-calibration's logit and every confidence feature, predicting whether an answer is correct.
It is kept apart from the self-calibration (`Refinement`), so re-indexing, which re-fits the
self-calibration, keeps it.

The operating point follows from `target_precision`: the lowest threshold at which the share of
answers given that are correct reaches the target, read off held-out predictions (each case
scored by a model that never saw it). Cross-validated predictions also give the reported ECE and
reliability; the model fitted on all cases is what gets saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from assistant.confidence import FEATURES, Calibration, Refinement
from evals.metrics import auroc, ece
from evals.runner import CaseResult


@dataclass(frozen=True)
class CalibrationFit:
    refinement: Refinement  # what the golden set adds; kept across re-indexing
    calibration: Calibration  # the refinement applied to the base it was fitted over
    held_out: list[float]  # cross-validated probability per case, in input order
    labels: list[int]
    before: list[float]  # the confidences the run had, under the previous calibration
    ece_before: float | None
    ece_after: float | None
    auroc_after: float | None


def operating_point(probabilities: Sequence[float], labels: Sequence[int], target: float) -> float:
    """The lowest threshold whose answers are correct at least `target` of the time; the most
    precise one when no threshold reaches it."""
    pairs = sorted(zip(probabilities, labels, strict=True), key=lambda p: -p[0])
    best, best_precision, correct = 1.0, -1.0, 0
    for n, (p, y) in enumerate(pairs, start=1):
        correct += y
        precision = correct / n
        if precision >= target or (
            best_precision < target and precision > best_precision and n >= 10
        ):
            best, best_precision = p, precision
    return float(best)


def fit_calibration(
    results: Sequence[CaseResult],
    base: Calibration,
    target_precision: float = 0.9,
    folds: int = 5,
    seed: int = 7,
) -> CalibrationFit:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    names = list(FEATURES)
    x = np.array(
        [[base.logit(r.features), *(r.features.get(f, 0.0) for f in names)] for r in results]
    )
    y = np.array([int(r.correct) for r in results])
    if len(set(y.tolist())) < 2 or min(np.bincount(y)) < folds:
        raise ValueError("calibration needs both correct and wrong answers, at least one per fold")
    model = LogisticRegression(C=1.0, max_iter=2000)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    held_out = cross_val_predict(model, x, y, cv=splitter, method="predict_proba")[:, 1]
    model.fit(x, y)
    scale, *own = (float(w) for w in model.coef_[0])
    labels = y.tolist()
    threshold = operating_point(held_out.tolist(), labels, target_precision)
    answered = held_out >= threshold
    refinement = Refinement(
        scale=round(scale, 6),
        weights={f: round(w, 6) for f, w in zip(names, own, strict=True)},
        bias=round(float(model.intercept_[0]), 6),
        threshold=round(threshold, 4),
        source=f"refined on {len(results)} golden cases ({folds}-fold cross-validated)",
        details={
            "method": "golden-refinement-v1",
            "target_precision": target_precision,
            "cases": len(results),
            # What the target costs, on held-out folds: a precision the answers cannot reach
            # shows here as a tiny answered share (lower the target, or improve the content).
            "answered_share_held_out": round(float(answered.mean()), 4),
            "precision_held_out": round(float(y[answered].mean()), 4) if answered.any() else None,
            "ece_held_out": ece(labels, held_out.tolist()),
            "auroc_held_out": auroc(labels, held_out.tolist()),
            "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    before = [r.confidence for r in results]
    return CalibrationFit(
        refinement,
        refinement.apply(base),
        held_out.tolist(),
        labels,
        before,
        ece(labels, before),
        ece(labels, held_out.tolist()),
        auroc(labels, held_out.tolist()),
    )
