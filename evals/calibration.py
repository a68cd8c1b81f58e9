"""Fit the confidence calibration on a labelled golden run, with honest held-out figures.

A logistic regression over the assistant's confidence features predicts whether an answer is
correct. Cross-validated predictions (each case scored by a model that never saw it) give the
reported ECE and reliability; the model fitted on all cases is what gets saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.confidence import FEATURES, Calibration
from evals.metrics import auroc, ece
from evals.runner import CaseResult


@dataclass(frozen=True)
class CalibrationFit:
    calibration: Calibration
    held_out: list[float]  # cross-validated probability per case, in input order
    labels: list[int]
    before: list[float]  # the confidences the run had, under the previous calibration
    ece_before: float | None
    ece_after: float | None
    auroc_after: float | None


def _matrix(results: Sequence[CaseResult]) -> np.ndarray:
    return np.array([[r.features.get(f, 0.0) for f in FEATURES] for r in results], dtype=float)


def fit_calibration(results: Sequence[CaseResult], folds: int = 5, seed: int = 7) -> CalibrationFit:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = _matrix(results)
    y = np.array([int(r.correct) for r in results])
    if len(set(y.tolist())) < 2 or min(np.bincount(y)) < folds:
        raise ValueError("calibration needs both correct and wrong answers, at least one per fold")
    model = LogisticRegression(C=1.0, max_iter=1000)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    held_out = cross_val_predict(model, x, y, cv=splitter, method="predict_proba")[:, 1]
    model.fit(x, y)
    calibration = Calibration(
        weights={f: round(float(w), 6) for f, w in zip(FEATURES, model.coef_[0], strict=True)},
        bias=round(float(model.intercept_[0]), 6),
        source=f"fitted on {len(results)} golden cases ({folds}-fold cross-validated)",
    )
    labels = y.tolist()
    before = [r.confidence for r in results]
    return CalibrationFit(
        calibration,
        held_out.tolist(),
        labels,
        before,
        ece(labels, before),
        ece(labels, held_out.tolist()),
        auroc(labels, held_out.tolist()),
    )
