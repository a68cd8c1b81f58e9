"""Self-calibration: a knowledge base fits its own confidence model, without labels.

Run when an index changes (`answerdesk ingest`) and on `answerdesk calibrate`. The probes
(`assistant/probes.py`) go through the same `answer()` a customer's question does:

- an answerable probe whose answer cites its own document is a positive;
- the same sentence probe with its page left out, and the off-topic probes, are negatives — what
  a question the knowledge base cannot answer looks like *on this knowledge base*.

Only features whose meaning survives the trip from probe to real question are used: dense
similarity (or an FAQ's own question's, when closer), its margin, the answer's similarity to
the question and dense/keyword agreement.
Keyword overlap is left out on purpose: a probe made of a passage's words overlaps it far more
than a customer's question does, so it would teach the model the wrong lesson.

The operating point is a target, not a constant: the threshold is set so that a chosen share of
the "close but not it" probes (`handoff_target`, 0.75 by default) falls below it. That share
can be estimated from the knowledge base alone; the precision of the answers given cannot (it
depends on how many customers ask what the content does not cover), so the precision target
(`target_precision`) applies when a labelled golden set refines the calibration.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from assistant.confidence import Calibration, Refinement, fallback_calibration
from assistant.probes import PER_DOCUMENT, Probe, build_probes, deeper, offtopic_probes
from assistant.retrieval import Filters

if TYPE_CHECKING:
    from assistant.manifest import Manifest
    from assistant.service import SupportAssistant

PROBE_FEATURES = ("best_match", "dense_margin", "answer_similarity", "agreement")
META_KEY = "calibration"
REFINEMENT_KEY = "refinement"  # a golden set's refinement, applied over whatever META_KEY holds
MIN_EACH = 20  # fewer positives or negatives than this: keep the fallback
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ProbeResult:
    probe: Probe
    own: bool  # the probe's own page could be found
    correct: bool  # …and the answer cites the probe's document
    features: dict[str, float]
    confidence: float = 0.0

    @property
    def label(self) -> int | None:
        """1 answered from its source, 0 a question the index cannot answer, None ambiguous
        (its source was there but the answer cited another document)."""
        if self.own:
            return 1 if self.correct else None
        return 0


def run_probes(
    assistant: SupportAssistant, probes: Sequence[Probe], progress: Progress | None = None
) -> list[ProbeResult]:
    # The model is fitted on measured features, never on a stand-in (`confidence_shortcut`).
    assistant = measuring(assistant)
    results: list[ProbeResult] = []
    for done, probe in enumerate(probes, start=1):
        if probe.document_id:
            answer = assistant.answer(probe.text)
            cited = {c.document_id for c in answer.draft_citations}
            results.append(ProbeResult(probe, True, probe.document_id in cited, answer.features))
        if probe.kind in ("sentence", "offtopic"):
            away = assistant.answer(probe.text, filters=Filters(exclude=probe.leave_out))
            results.append(ProbeResult(probe, False, False, away.features))
        if progress:
            progress(done, len(probes))
    return results


def measuring(assistant: SupportAssistant) -> SupportAssistant:
    """The same assistant, measuring every confidence feature (for fitting a model on them)."""
    exact = assistant.settings.model_copy(update={"confidence_shortcut": False})
    return dataclasses.replace(assistant, settings=exact)


def fit(results: Sequence[ProbeResult], handoff_target: float) -> Calibration | None:
    """Logistic model on the labelled probes; None when there are too few of either kind."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    usable = [r for r in results if r.label is not None]
    labels = np.array([r.label for r in usable])
    if min(int(labels.sum()), int(len(labels) - labels.sum())) < MIN_EACH:
        return None
    x = np.array([[r.features.get(f, 0.0) for f in PROBE_FEATURES] for r in usable])
    model = LogisticRegression(C=1.0, max_iter=2000)
    folds = StratifiedKFold(5, shuffle=True, random_state=7)
    held_out = cross_val_predict(model, x, labels, cv=folds, method="predict_proba")[:, 1]
    model.fit(x, labels)
    probability = model.predict_proba(x)[:, 1]
    # The "close but not it" probes: a sentence from a page that is no longer there.
    near = [
        p
        for p, r in zip(probability, usable, strict=True)
        if not r.own and r.probe.kind == "sentence"
    ]
    reference = near if len(near) >= MIN_EACH else probability[labels == 0].tolist()
    threshold = float(np.quantile(reference, handoff_target))
    from sklearn.metrics import roc_auc_score

    kinds = Counter(f"{r.probe.kind}:{'own' if r.own else 'away'}" for r in results)
    found = [r for r in usable if r.label == 1]
    away = [r for r in usable if not r.own and r.probe.kind == "sentence"] or [
        r for r in usable if r.label == 0
    ]
    return Calibration(
        weights={
            f: round(float(w), 6) for f, w in zip(PROBE_FEATURES, model.coef_[0], strict=True)
        },
        bias=round(float(model.intercept_[0]), 6),
        source="self-calibrated on this knowledge base's own probes",
        threshold=round(threshold, 4),
        details={
            "method": "probes-v1",
            "handoff_target": handoff_target,
            "probes": dict(sorted(kinds.items())),
            "positives": int(labels.sum()),
            "negatives": int(len(labels) - labels.sum()),
            "auroc_probes_held_out": round(float(roc_auc_score(labels, held_out)), 4),
            # Where this knowledge base's answerable and "close but not it" questions sit on
            # each feature: the scale that makes a feature mean the same on another corpus.
            "medians": {"found": _medians(found), "away": _medians(away)},
            "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )


def _medians(results: Sequence[ProbeResult]) -> dict[str, float]:
    return {
        f: round(float(np.median([r.features.get(f, 0.0) for r in results])), 4)
        for f in PROBE_FEATURES
    }


def self_calibrate(
    assistant: SupportAssistant,
    probes: int = 300,
    handoff_target: float = 0.75,
    progress: Progress | None = None,
) -> Calibration | None:
    """Probe the assistant's live index and fit its calibration (None: too little content)."""
    started = time.perf_counter()
    documents = list(assistant.index.manifest.documents())
    depth = PER_DOCUMENT
    own = build_probes(documents, depth, limit=probes)
    if _too_few(own):  # a small help center: more probes from each of its documents
        depth = deeper(documents, probes)
        own = build_probes(documents, depth, limit=probes)
    if _too_few(own):
        return None  # too little content to learn from: the fallback serves
    calibration = fit(run_probes(assistant, own + offtopic_probes(), progress), handoff_target)
    if calibration is not None and calibration.details is not None:
        calibration.details["seconds"] = round(time.perf_counter() - started, 1)
        calibration.details["index"] = assistant.index.manifest.meta().get("collection", "")
        calibration.details["per_document"] = depth  # above PER_DOCUMENT: probed deeper
    return calibration


def _too_few(probes: Sequence[Probe]) -> bool:
    return sum(p.kind == "sentence" for p in probes) < MIN_EACH or len(probes) < 2 * MIN_EACH


def store(manifest: Manifest, calibration: Calibration) -> None:
    """Keep the calibration with the index it was fitted on (the manifest's meta)."""
    manifest.commit([], [], {META_KEY: json.dumps(calibration.to_json(), sort_keys=True)})


def store_refinement(manifest: Manifest, refinement: Refinement) -> None:
    manifest.commit([], [], {REFINEMENT_KEY: json.dumps(refinement.to_json(), sort_keys=True)})


def stored(meta: dict[str, str]) -> Calibration | None:
    """The index's calibration: its self-calibration, refined when a golden set refined it."""
    raw, refined = meta.get(META_KEY), meta.get(REFINEMENT_KEY)
    if not raw and not refined:
        return None
    calibration = Calibration.from_json(json.loads(raw)) if raw else fallback_calibration()
    if refined:
        return Refinement.from_json(json.loads(refined)).apply(calibration)
    return calibration
