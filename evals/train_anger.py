"""Train the anger detector's learned head and blends: `python -m evals.train_anger`.

1. Embed the GoEmotions comments (train and validation splits) with the configured embedder,
   the bundled MiniLM by default (all 48,836 texts, no subsampling: minutes of CPU); the
   vectors are cached in `<data_dir>/cache`, so a second run takes about a minute. The dev half
   of our labelled support messages (`evals/data/frustration/`, see `evals.frustration`) is
   embedded beside them; its held-out half is never read here.
2. Head: a class-balanced logistic regression over the GoEmotions train-split vectors (label
   `angry` = anger or annoyance) and the dev-half support messages (label `frustrated`), each
   support message weighing SUPPORT_WEIGHT comments: Reddit anger is not support frustration
   ("cancel my trial" reads as annoyance there), and 170 messages would vanish among 43,000
   comments. Its strength C is chosen by cross-validated AUROC.
3. Blends: a class-balanced logistic fit of [head log-odds, VADER negativity, VADER positivity]
   on the same rows, with the head's log-odds taken out of fold (never from a model that saw
   the row) and the hand-set rule weights as a fixed offset; the same without the head for the
   lexicon+rules detector.
4. Thresholds: on the dev-half support messages (out-of-fold head log-odds), the lowest
   threshold that flags at most FALSE_POSITIVE_BUDGET of the calm ones. A false positive hands a
   calm customer to a person, so the budget is the product decision; the threshold is set on
   the messages it will meet, not on Reddit's base rate. GoEmotions validation figures at that
   threshold (and at the F1-best one) are reported, with a cross-fitted estimate; the older
   customer-service set (evals/data/anger_customer_messages.jsonl) is only measured.
   The strong level is the median score of the frustrated dev-half messages: anger below it
   lets a confident answer go first, anger above it hands off at once (assistant/decision.py).

Writes `assistant/anger_head.json` (weights, blends, thresholds and these figures).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.anger import HEAD_FILE, RULES_CAP, AngerModel, Blend, lexicon, rule_evidence
from assistant.backends import make_embedder
from assistant.ports import Embedder, Vectors
from assistant.settings import Settings
from evals.frustration import MESSAGES, load_messages
from evals.frustration import split as dev_and_held_out

REPO = Path(__file__).resolve().parents[1]
GOEMOTIONS = REPO.parent / "shared" / "data" / "goemotions-train.jsonl"
CUSTOMER_SET = Path(__file__).resolve().parent / "data" / "anger_customer_messages.jsonl"
SUPPORT_WEIGHT = 20.0  # one labelled support message weighs as much as this many comments
Array = npt.NDArray[np.float64]


def load_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def embed_cached(embedder: Embedder, texts: Sequence[str], cache_dir: Path) -> Vectors:
    """Embed with a progress bar (a line per 10% when not on a terminal); cache by content."""
    from rich.console import Console
    from rich.progress import Progress

    digest = hashlib.sha256("\n".join([embedder.name, *texts]).encode()).hexdigest()[:16]
    cache = cache_dir / f"anger-embeddings-{digest}.npy"
    if cache.exists():
        return np.asarray(np.load(cache), dtype=np.float32)
    console, parts, started, step = Console(stderr=True), [], time.perf_counter(), 256
    with Progress(console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"embedding {len(texts)} texts", total=len(texts))
        for start in range(0, len(texts), step):
            parts.append(embedder.embed(texts[start : start + step]))
            progress.advance(task, len(parts[-1]))
            done = start + len(parts[-1])
            if not console.is_terminal and (done // step) % max(1, len(texts) // step // 10) == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  embedded {done}/{len(texts)} ({rate:.0f} texts/s)", file=sys.stderr)
    vectors = np.concatenate(parts).astype(np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def lexicon_features(texts: Sequence[str]) -> tuple[Array, Array]:
    """[max(0, -compound), max(0, compound)] per text, and the rule log-odds (capped)."""
    compound = np.array([lexicon(t) for t in texts])
    rules = np.array([min(sum(w for _, w in rule_evidence(t)), RULES_CAP) for t in texts])
    return np.column_stack([np.maximum(0, -compound), np.maximum(0, compound)]), rules


def fit_logistic(
    x: Array, y: Array, offset: Array, sample: Array | None = None, l2: float = 1e-3
) -> tuple[float, Array]:
    """Class-balanced logistic regression with a fixed offset (Newton steps); few features."""
    sample = np.ones(len(y)) if sample is None else sample
    positive = (sample * y).sum() / sample.sum()
    weight = sample * np.where(y == 1, 0.5 / positive, 0.5 / (1 - positive))
    weight = weight / sample.mean()
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-(design @ beta + offset)))
        gradient = design.T @ (weight * (p - y)) + l2 * beta
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + l2 * np.eye(len(beta))
        delta = np.linalg.solve(hessian, gradient)
        beta -= delta
        if np.abs(delta).max() < 1e-8:
            break
    return float(beta[0]), beta[1:]


FALSE_POSITIVE_BUDGET = 0.01  # about one calm dev-half message in a hundred handed off as angry


def budget_threshold(scores: Array, labels: Array, budget: float = FALSE_POSITIVE_BUDGET) -> float:
    """The lowest threshold that flags at most `budget` of the negatives."""
    negatives = np.sort(scores[labels == 0])[::-1]
    allowed = int(np.floor(budget * len(negatives)))
    return float(np.nextafter(negatives[allowed], np.inf)) if allowed < len(negatives) else 0.0


def best_threshold(scores: Array, labels: Array) -> float:
    """The score threshold with the highest F1 (ties: the higher threshold)."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], np.cumsum(labels[order])
    f1 = 2 * hits / (np.arange(1, len(scores) + 1) + labels.sum())
    last_of_tie = np.r_[ranked[1:] != ranked[:-1], True]
    best = int(np.argmax(np.where(last_of_tie, f1, -1)))
    return float(ranked[best])


def _auroc(labels: Array, scores: Array) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else 0.0


def figures(scores: Array, labels: Array, threshold: float) -> dict[str, Any]:
    predicted = scores >= threshold
    tp = int((predicted & (labels == 1)).sum())
    precision = tp / predicted.sum() if predicted.sum() else 0.0
    recall = tp / labels.sum() if labels.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(float(precision), 4), "recall": round(float(recall), 4),
            "f1": round(float(f1), 4), "n": len(labels), "positives": int(labels.sum()),
            "auroc": round(_auroc(labels, scores), 4)}  # fmt: skip


def cross_fitted(scores: Array, labels: Array, seed: int = 7) -> dict[str, float]:
    """Precision/recall/F1 when the threshold is chosen on one half and measured on the other."""
    half = np.random.default_rng(seed).permutation(len(scores)) < len(scores) // 2
    predicted = np.zeros(len(scores))
    for tune in (half, ~half):
        predicted[~tune] = scores[~tune] >= budget_threshold(scores[tune], labels[tune])
    m = figures(predicted, labels, 0.5)
    return {k: m[k] for k in ("precision", "recall", "f1")}


def blend_scores(blend: Blend, lex: Array, rules: Array, head: Array | None) -> Array:
    z = blend.bias + blend.negative * lex[:, 0] + blend.positive * lex[:, 1] + rules
    if head is not None:
        z = z + blend.head * head
    return np.asarray(1 / (1 + np.exp(-np.clip(z, -30, 30))), dtype=np.float64)


def train(rows: list[dict[str, Any]], vectors: Vectors, folds: int = 3) -> dict[str, Any]:
    """Rows have `split`: train | validation (GoEmotions) or support (dev-half messages)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    kind = np.array([r["split"] for r in rows])
    fit, support, valid = kind != "validation", kind == "support", kind == "validation"
    y = np.array([int(r["angry"]) for r in rows], dtype=np.float64)
    sample = np.where(support, SUPPORT_WEIGHT, 1.0)
    x = vectors.astype(np.float64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=7)
    best: tuple[float, float, Array] | None = None
    for c in (0.3, 1.0, 3.0):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        held_out = cross_val_predict(model, x[fit], y[fit], cv=splitter, method="decision_function",
                                     params={"sample_weight": sample[fit]})  # fmt: skip
        score = _auroc(y[fit], held_out)
        print(f"  head C={c}: cross-validated AUROC {score:.4f}", file=sys.stderr)
        if best is None or score > best[0]:
            best = (score, c, held_out)
    assert best is not None
    _, c, head_fit = best
    head = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    head.fit(x[fit], y[fit], sample_weight=sample[fit])
    head_valid = head.decision_function(x[valid])
    head_support = head_fit[support[fit]]  # out of fold

    lex, rules = lexicon_features([str(r["text"]) for r in rows])
    blends: dict[str, Blend] = {}
    for name, with_head in (("with_head", True), ("without_head", False)):
        features = np.column_stack([head_fit, lex[fit]]) if with_head else lex[fit]
        bias, w = fit_logistic(features, y[fit], rules[fit], sample[fit])
        coef = dict(zip(["head", "negative", "positive"] if with_head else
                        ["negative", "positive"], w.round(4).tolist(), strict=True))  # fmt: skip
        blend = Blend(
            round(bias, 4), coef.get("head", 0.0), coef["negative"], coef["positive"], 0.5
        )
        tune = blend_scores(blend, lex[support], rules[support],
                            head_support if with_head else None)  # fmt: skip
        threshold = round(budget_threshold(tune, y[support]), 4)
        strong = round(max(threshold, float(np.median(tune[y[support] == 1]))), 4)
        blends[name] = Blend(
            blend.bias, blend.head, blend.negative, blend.positive, threshold, strong
        )
    weights, bias = head.coef_[0].round(6).tolist(), round(float(head.intercept_[0]), 6)
    return {
        "head": {"weights": weights, "bias": bias, "C": c},
        "blends": blends,
        "valid": (lex[valid], rules[valid], head_valid, y[valid]),
        "support": (lex[support], rules[support], head_support, y[support]),
    }


Features = tuple[Array, Array, Array, Array]  # lexicon, rules, head log-odds, labels


def report(model: AngerModel, parts: dict[str, Features]) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for split, (lex, rules, head, y) in parts.items():
        combined = blend_scores(model.with_head, lex, rules, head)
        plain = blend_scores(model.without_head, lex, rules, None)
        metrics[split] = {
            "combined": {
                **figures(combined, y, model.with_head.threshold),
                "threshold": model.with_head.threshold,
            },
            "lexicon_rules": {
                **figures(plain, y, model.without_head.threshold),
                "threshold": model.without_head.threshold,
            },
            "head_only": figures(1 / (1 + np.exp(-head)), y, 0.5),
            "vader_only": figures(lex[:, 0], y, 0.05),  # compound <= -0.05
        }
        if split == "goemotions_validation":
            for name, scores in (("combined", combined), ("lexicon_rules", plain)):
                metrics[split][name]["cross_fitted"] = cross_fitted(scores, y)
                best = best_threshold(scores, y)
                metrics[split][f"{name}_at_f1_best"] = figures(scores, y, best)
                metrics[split][f"{name}_at_f1_best"]["threshold"] = round(best, 4)
    return metrics


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=GOEMOTIONS)
    parser.add_argument("--customer", type=Path, default=CUSTOMER_SET)
    parser.add_argument("--support", type=Path, default=MESSAGES)
    parser.add_argument("--out", type=Path, default=HEAD_FILE)
    parser.add_argument("--limit", type=int, default=0, help="subsample N rows (0 = all)")
    args = parser.parse_args(argv)

    settings = Settings()
    embedder = make_embedder(settings)
    rows = load_rows(args.data)
    if args.limit:
        keep = np.random.default_rng(7).permutation(len(rows))[: args.limit]
        rows = [rows[i] for i in sorted(keep)]
    print(f"{len(rows)} GoEmotions rows; embedding with {embedder.name}", file=sys.stderr)
    vectors = embed_cached(embedder, [str(r["text"]) for r in rows], settings.data_dir / "cache")
    dev, _ = dev_and_held_out(load_messages(args.support))  # the held-out half is never read here
    rows += [{"text": m["text"], "angry": m["frustrated"], "split": "support"} for m in dev]
    vectors = np.concatenate([vectors, embedder.embed([m["text"] for m in dev])])
    fit = train(rows, vectors)
    n_train = sum(r["split"] == "train" for r in rows)
    blends: dict[str, Blend] = fit["blends"]
    artifact: dict[str, Any] = {
        "description": "Anger detector: logistic head over sentence embeddings + blends "
        "(see assistant/anger.py); written by `python -m evals.train_anger`.",
        "head": {"embedder": embedder.name, "dimension": embedder.dimension, **fit["head"],
                 "trained_on": f"GoEmotions train split ({n_train} comments, label angry = "
                               f"anger or annoyance) and the dev half of {MESSAGES.name} "
                               f"({len(dev)} messages, label frustrated, weight "
                               f"{SUPPORT_WEIGHT:g} each), class-balanced"},
        "blend": {name: vars(b) for name, b in blends.items()},
    }  # fmt: skip
    model = AngerModel.from_json(artifact)
    messages = load_rows(args.customer)
    texts = [str(m["text"]) for m in messages]
    lex, rules = lexicon_features(texts)
    head = model.head_logits(embedder.embed(texts))
    y = np.array([int(m["angry"]) for m in messages], dtype=np.float64)
    artifact["metrics"] = {
        "threshold_rule": f"lowest threshold flagging at most {FALSE_POSITIVE_BUDGET:.0%} of the "
        "calm dev-half support messages (head log-odds out of fold): an anger hand-off of a calm "
        "customer costs more than a frustrated one answered first",
        **report(
            model,
            {
                "goemotions_validation": fit["valid"],
                "customer_messages": (lex, rules, head, y),
                "support_dev_out_of_fold": fit["support"],
            },
        ),
    }
    args.out.write_text(json.dumps(artifact, indent=1) + "\n", encoding="utf-8")

    print(f"wrote {args.out}")
    print(artifact["metrics"]["threshold_rule"])
    for split, table in artifact["metrics"].items():
        if not isinstance(table, dict):
            continue
        print(f"\n{split}")
        for name, m in table.items():
            extra = (
                f"  cross-fitted F1 {m['cross_fitted']['f1']:.3f}" if "cross_fitted" in m else ""
            )
            extra += f"  threshold {m['threshold']:.3f}" if "threshold" in m else ""
            print(
                f"  {name:24} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  "
                f"AUROC {m['auroc']:.3f}  n={m['n']} ({m['positives']} angry){extra}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
