"""Confidence: the estimated probability that an answer is correct and supported.

`features()` is a pure function of what retrieval and generation produced. A `Calibration`
maps the features to a probability with a logistic model and carries the threshold below which
the assistant says it is not sure. Each knowledge base calibrates itself from probes made of its
own content when it is indexed (`assistant/selfcal.py`), and the calibration is stored with the
index version; a labelled golden set refines it (`answerdesk eval --calibrate`). The default
shipped with the package is only a fallback for an index too small to probe: the sample
knowledge base's own self-calibration, a model fitted without labels on features that keep
their meaning from one knowledge base to another (a model fitted on our golden set's labels
weighed features at our content's scale, and answered none of a small foreign help center's
questions).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.text import content_words
from assistant.types import Passage

FEATURES = (
    "dense_top",  # cosine similarity of the best passage to the question
    "best_match",  # the same, or the question's similarity to an FAQ's own question if higher
    "dense_margin",  # how far it stands above the crowd: the fifth document retrieved
    "keyword_top",  # BM25 strength of the best keyword match (log-scaled)
    "agreement",  # dense and keyword search agree on the top document (by their ranks of it)
    "query_coverage",  # share of the question's words found in the cited passages
    "answer_coverage",  # share of the question's words found in the answer
    "grounded_share",  # share of answer sentences supported by their citations
    "abstained",  # the generator said the passages do not answer it
    "answer_similarity",  # cosine similarity of the answer's lead to the question
    "faq_top",  # the best passage is a curated FAQ answer
    "answer_length",  # answer words / 100: a one-liner rarely covers a whole question
)
DEFAULT_FILE = Path(__file__).resolve().parent / "calibration.json"
# The operating point of a calibration file that names none.
DEFAULT_THRESHOLD = 0.55
# What of an answer is embedded for `answer_similarity`: its lead says whether it is about the
# question; the rest costs the embedder time in proportion (answers run to ~200 word pieces).
LEAD_WORDS = 48
CROWD = 5  # `dense_margin` is measured down to this document's rank


def lead(answer: str) -> str:
    """The first `LEAD_WORDS` words of an answer."""
    return " ".join(answer.split()[:LEAD_WORDS])


def features(
    query: str,
    passages: Sequence[Passage],
    answer: str,
    grounded_share: float,
    abstained: bool,
    cited: Sequence[Passage] = (),
    answer_similarity: float = 0.0,
    question_match: float = 0.0,
) -> dict[str, float]:
    """`question_match`: the best cosine between the question and the questions of the top
    FAQ-like documents (titles that are questions): customers' questions are matched
    question-to-question, as an FAQ is read."""
    dense = sorted((p.dense_score for p in passages if p.dense_score is not None), reverse=True)
    top = passages[0] if passages else None
    words = set(content_words(query))
    cited_words = set(
        content_words(" ".join(p.text + " " + p.title for p in cited or passages[:1]))
    )
    return {
        "dense_top": dense[0] if dense else 0.0,
        "best_match": max(dense[0] if dense else 0.0, question_match),
        "dense_margin": _margin(dense),
        "keyword_top": math.log1p(max((p.keyword_score or 0.0) for p in passages))
        if passages
        else 0.0,
        "agreement": _agreement(top),
        "query_coverage": len(words & cited_words) / len(words) if words else 0.0,
        "answer_coverage": len(words & set(content_words(answer))) / len(words) if words else 0.0,
        "grounded_share": grounded_share if answer else 0.0,
        "abstained": float(abstained or not answer),
        "answer_similarity": answer_similarity if answer else 0.0,
        "faq_top": float(top is not None and top.kind == "faq"),
        "answer_length": min(len(answer.split()) / 100, 2.0),
    }


def _margin(dense: Sequence[float]) -> float:
    """How far the best passage stands above the `CROWD`-th document (or the last one found).
    Not above the next: where the content answers a question, its FAQ, article and past cases
    cluster at the top, so the next document is close for the best-answered questions; what
    sets them apart is the gap to the documents that are merely about the same product."""
    if not dense:
        return 0.0
    if len(dense) == 1:
        return dense[0]
    return dense[0] - dense[min(CROWD, len(dense)) - 1]


def _agreement(top: Passage | None) -> float:
    """1 when both searches rank the top document among their first three, falling with the
    worse of its two ranks beyond that. Not a cliff at the third: where the question's words
    are in every document ("what is covid 19" in a COVID FAQ), keyword search ranks the right
    one fourth or fifth, which is weaker evidence, not none."""
    if top is None:
        return 0.0
    worst = max(top.dense_rank or 99, top.keyword_rank or 99)
    return min(1.0, 3 / worst)


@dataclass(frozen=True)
class Calibration:
    """A logistic model over named features, its operating point, and where it came from."""

    weights: dict[str, float]
    bias: float
    source: str = "default"
    threshold: float = DEFAULT_THRESHOLD  # below it: not sure (hand off or say so)
    details: dict[str, object] | None = None  # how it was fitted: probe counts, figures

    @property
    def version(self) -> str:
        """A short content hash: every answer records which calibration scored it."""
        payload = json.dumps([self.weights, self.bias, self.threshold], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    def probability(self, values: dict[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(min(self.logit(values), 30.0), -30.0)))

    def logit(self, values: dict[str, float]) -> float:
        return self.bias + sum(w * values.get(name, 0.0) for name, w in self.weights.items())

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, **asdict(self), "details": self.details or {}}

    @classmethod
    def from_json(cls, data: dict[str, object], source: str = "") -> Calibration:
        weights = data["weights"]
        if not isinstance(weights, dict):
            raise ValueError("a calibration needs a `weights` mapping")
        details = data.get("details")
        return cls(
            {str(k): float(v) for k, v in weights.items()},
            float(data["bias"]),  # type: ignore[arg-type]
            str(data.get("source") or source),
            float(data.get("threshold", DEFAULT_THRESHOLD)),  # type: ignore[arg-type]
            details if isinstance(details, dict) else None,
        )

    @classmethod
    def load(cls, path: Path = DEFAULT_FILE) -> Calibration:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")), path.name)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")


def settled(
    calibration: Calibration,
    values: dict[str, float],
    feature: str,
    threshold: float,
    low: float = 0.0,
    high: float = 1.0,
) -> bool:
    """Whether the answer-or-not decision is the same wherever `feature` lies in [low, high]:
    then measuring it cannot change what the customer gets. The model is linear in each
    feature, so the two ends decide. The default range is a similarity's between a question
    and an answer composed for it: a sentence embedder's cosine can be negative in theory,
    but not for texts about the same thing (0.10 at the lowest over the sample's golden
    answers)."""

    def answers(value: float) -> bool:
        return calibration.probability({**values, feature: value}) >= threshold

    return answers(low) == answers(high)


@functools.cache
def fallback_calibration() -> Calibration:
    """The packaged calibration, only for an index that has none of its own. Made with
    `answerdesk ingest` and `answerdesk calibrate --show --json` on the sample knowledge base
    (a fresh data folder), its `source` renamed and the run's own details dropped."""
    return Calibration.load(DEFAULT_FILE)


@dataclass(frozen=True)
class Refinement:
    """What a labelled golden set adds on top of a knowledge base's self-calibration.

    Kept apart from the self-calibration it was fitted over, so a re-index (which re-fits the
    self-calibration from the new content) keeps the team's refinement: the refined logit is
    `scale × self-calibrated logit + Σ weights × features + bias`.
    """

    scale: float
    weights: dict[str, float]
    bias: float
    threshold: float
    source: str
    details: dict[str, object] | None = None

    def apply(self, base: Calibration) -> Calibration:
        names = sorted({*base.weights, *self.weights})
        return Calibration(
            weights={
                f: round(self.scale * base.weights.get(f, 0.0) + self.weights.get(f, 0.0), 6)
                for f in names
            },
            bias=round(self.scale * base.bias + self.bias, 6),
            source=f"{self.source}, over {base.source}",
            threshold=self.threshold,
            details={**(self.details or {}), "base": base.version},
        )

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "details": self.details or {}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refinement:
        details = data.get("details")
        return cls(
            float(data["scale"]),
            {str(k): float(v) for k, v in dict(data["weights"]).items()},
            float(data["bias"]),
            float(data["threshold"]),
            str(data.get("source", "refined on a golden set")),
            details if isinstance(details, dict) else None,
        )
