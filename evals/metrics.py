"""Evaluation metrics: pure functions over ranked ids, texts, labels and scores."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence


def recall_at(ranked: Sequence[str], expected: set[str], k: int) -> float:
    """1.0 when any expected id is in the top k (expected sources are any-of)."""
    return 1.0 if expected & set(ranked[:k]) else 0.0


def mrr_at(ranked: Sequence[str], expected: set[str], k: int = 10) -> float:
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in expected:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], expected: set[str], k: int = 5) -> float:
    gains = [1.0 if doc in expected else 0.0 for doc in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(expected), k)))
    return dcg / ideal if ideal else 0.0


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def normalise(text: str) -> str:
    """Lower case, unified dashes/arrows/quotes, punctuation to spaces, numbers without commas."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("→", " ").replace("–", "-").replace("—", "-").replace("’", "'")
    text = _NUMBER.sub(lambda m: m.group(0).replace(",", ""), text)
    text = re.sub(r"(?<=[\da-z])-(?=[a-z])", " ", text)  # "14-day" == "14 day", "pro-rata"
    text = re.sub(r"[^\w$€£%.'+-]+", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _singular(text: str) -> str:
    return re.sub(r"(?<=[a-z]{3})s\b", "", text)


def contains_fact(answer: str, fact: str) -> bool:
    """Tolerant of wording: case, punctuation, plurals, "14-day" vs "14 days", "5,000" vs "5000"."""
    haystack, needle = _singular(normalise(answer)), _singular(normalise(fact))
    if not needle:
        return True
    pattern = r"(?<![\w$])" + re.escape(needle) + r"(?![\w])"
    if re.search(pattern, haystack):
        return True
    # Numbers must match as numbers: "$29" is in "$29/month" but not in "$290".
    numbers = _NUMBER.findall(needle)
    words = [w for w in re.split(r"\s+", _NUMBER.sub(" ", needle)) if len(w) > 2]
    if numbers and all(
        re.search(r"(?<![\d.,])" + re.escape(n) + r"(?![\d,]|\.\d)", haystack) for n in numbers
    ):
        return all(w.strip("$€£%") in haystack for w in words)
    return False


def fact_coverage(answer: str, must_include: Sequence[str], must_not: Sequence[str]) -> float:
    """Share of required facts present; 0 if any forbidden fact is stated."""
    if any(contains_fact(answer, f) for f in must_not):
        return 0.0
    if not must_include:
        return 1.0
    return sum(contains_fact(answer, f) for f in must_include) / len(must_include)


def auroc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Probability that a random positive outranks a random negative (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def reliability(
    labels: Sequence[int], scores: Sequence[float], bins: int = 10
) -> list[dict[str, float]]:
    """Per confidence bin: mean confidence, accuracy and count (for the reliability diagram)."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [
            (s, y)
            for s, y in zip(scores, labels, strict=True)
            if lo <= s < hi or (b == bins - 1 and s == 1.0)
        ]
        if members:
            out.append(
                {
                    "low": lo,
                    "high": hi,
                    "count": len(members),
                    "confidence": sum(s for s, _ in members) / len(members),
                    "accuracy": sum(y for _, y in members) / len(members),
                }
            )
    return out


def ece(labels: Sequence[int], scores: Sequence[float], bins: int = 10) -> float | None:
    """Expected calibration error: |accuracy − confidence| averaged over bins, by count."""
    if not labels:
        return None
    table = reliability(labels, scores, bins)
    return sum(b["count"] * abs(b["accuracy"] - b["confidence"]) for b in table) / len(labels)


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = (len(ordered) - 1) * q
    low, high = math.floor(index), math.ceil(index)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def precision_recall(
    predicted: Sequence[bool], actual: Sequence[bool]
) -> tuple[float | None, float | None]:
    tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
    predicted_n, actual_n = sum(predicted), sum(actual)
    return (tp / predicted_n if predicted_n else None, tp / actual_n if actual_n else None)
