"""Confidence: the estimated probability that an answer is correct and supported.

`features()` is a pure function of what retrieval and generation produced. A `Calibration`
maps the features to a probability with a logistic model fitted on a labelled golden set
(`answerdesk eval --calibrate`) and saved as a small JSON artifact; a default fitted on the
sample golden set ships with the package.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.text import content_words
from assistant.types import Passage

FEATURES = (
    "dense_top",  # cosine similarity of the best passage to the question
    "dense_margin",  # how far it stands above the next document
    "keyword_top",  # BM25 strength of the best keyword match (log-scaled)
    "agreement",  # dense and keyword search agree on the top document
    "query_coverage",  # share of the question's words found in the cited passages
    "answer_coverage",  # share of the question's words found in the answer
    "grounded_share",  # share of answer sentences supported by their citations
    "abstained",  # the generator said the passages do not answer it
    "answer_similarity",  # cosine similarity of the answer to the question
    "faq_top",  # the best passage is a curated FAQ answer
    "answer_length",  # answer words / 100: a one-liner rarely covers a whole question
)
DEFAULT_FILE = Path(__file__).resolve().parent / "calibration.json"


def features(
    query: str,
    passages: Sequence[Passage],
    answer: str,
    grounded_share: float,
    abstained: bool,
    cited: Sequence[Passage] = (),
    answer_similarity: float = 0.0,
) -> dict[str, float]:
    dense = sorted((p.dense_score for p in passages if p.dense_score is not None), reverse=True)
    top = passages[0] if passages else None
    words = set(content_words(query))
    cited_words = set(
        content_words(" ".join(p.text + " " + p.title for p in cited or passages[:1]))
    )
    return {
        "dense_top": dense[0] if dense else 0.0,
        "dense_margin": dense[0] - dense[1] if len(dense) > 1 else (dense[0] if dense else 0.0),
        "keyword_top": math.log1p(max((p.keyword_score or 0.0) for p in passages))
        if passages
        else 0.0,
        "agreement": float(
            top is not None and (top.dense_rank or 99) <= 3 and (top.keyword_rank or 99) <= 3
        ),
        "query_coverage": len(words & cited_words) / len(words) if words else 0.0,
        "answer_coverage": len(words & set(content_words(answer))) / len(words) if words else 0.0,
        "grounded_share": grounded_share if answer else 0.0,
        "abstained": float(abstained or not answer),
        "answer_similarity": answer_similarity if answer else 0.0,
        "faq_top": float(top is not None and top.kind == "faq"),
        "answer_length": min(len(answer.split()) / 100, 2.0),
    }


@dataclass(frozen=True)
class Calibration:
    weights: dict[str, float]
    bias: float
    source: str = "default"

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias + sum(w * values.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    @classmethod
    def load(cls, path: Path = DEFAULT_FILE) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            {k: float(v) for k, v in data["weights"].items()},
            float(data["bias"]),
            str(data.get("source", path.name)),
        )

    def save(self, path: Path, **extra: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"weights": self.weights, "bias": self.bias, "source": self.source, **extra}
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
