"""Does confidence transfer? Each knowledge base scored three ways, side by side.

`python -m evals.transfer` (part of `make eval-external`) runs the sample golden set and the
foreign sets, each on its own index, and scores every question's confidence with:

- **packaged** — the packaged fallback, the sample knowledge base's self-calibration, at its
  own threshold: what a knowledge base too small to probe gets (the baseline);
- **self** — the knowledge base's own self-calibration, from probes of its content (no labels);
- **lodo** — leave one domain out: a logistic refinement fitted on the labelled questions of
  all the *other* sets, over features made comparable by each knowledge base's own probe
  medians ((value − "close but not it" median) / (answerable median − that median)), with its
  threshold where the other sets' unanswerable questions are handed off at the hand-off target.

No figure of a set comes from a model that saw that set's questions. Figures per set: AUROC of
confidence for answerable vs not, ECE against correctness, answerable questions handed off,
unanswerable questions handed off (or clarified), and confidently wrong among answers given.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.confidence import Calibration, fallback_calibration
from assistant.selfcal import PROBE_FEATURES
from assistant.service import SupportAssistant
from assistant.settings import Settings
from evals.external import corpus_documents, external_cases
from evals.golden import GoldenCase, load_golden
from evals.metrics import auroc, ece
from evals.runner import CaseResult, run

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
NOT_CONFIDENCE = ("angry", "human_requested", "repeated_failure", "underspecified", "unclear")


@dataclass
class Domain:
    name: str
    results: list[CaseResult]
    calibration: Calibration  # the knowledge base's self-calibration

    def normalised(self, result: CaseResult) -> list[float]:
        medians: Any = (self.calibration.details or {}).get("medians") or {}
        found, away = medians.get("found", {}), medians.get("away", {})
        row = [self.calibration.logit(result.features)]
        for f in PROBE_FEATURES:
            scale = (found.get(f, 1.0) - away.get(f, 0.0)) or 1.0
            row.append((result.features.get(f, 0.0) - away.get(f, 0.0)) / scale)
        return row


def collect(name: str, settings: Settings, cases: Sequence[GoldenCase], documents: Any) -> Domain:
    """Index (self-calibrating), then run the questions with the index's own calibration."""
    from ingest.sync import Indexer

    with tempfile.TemporaryDirectory(prefix=f"answerdesk-transfer-{name}-") as tmp:
        temp = settings.model_copy(update={"data_dir": Path(tmp), "chroma_url": None})
        with Indexer(temp) as indexer:
            if documents is None:
                indexer.sync([SAMPLE])
            else:
                indexer.sync(documents=documents)
        assistant = SupportAssistant.from_settings(temp)
        calibration = assistant.current_calibration()
        results = run(assistant, cases)
        assistant.index.close()
    return Domain(name, results, calibration)


def figures(
    results: Sequence[CaseResult], confidences: Sequence[float], threshold: float
) -> dict[str, float | None]:
    answered = [
        c >= threshold and r.decision_reason not in NOT_CONFIDENCE and not _policy(r)
        for r, c in zip(results, confidences, strict=True)
    ]
    answerable = [a for r, a in zip(results, answered, strict=True) if r.answerable]
    other = [a for r, a in zip(results, answered, strict=True) if not r.answerable]
    given = [r.correct for r, a in zip(results, answered, strict=True) if a]
    labels = [int(r.correct) for r in results]
    return {
        "auroc_answerable": auroc([int(r.answerable) for r in results], list(confidences)),
        "ece": ece(labels, list(confidences)),
        "answerable_handoff_rate": 1 - sum(answerable) / len(answerable) if answerable else None,
        "unanswerable_handoff_rate": 1 - sum(other) / len(other) if other else None,
        "confidently_wrong_rate": 1 - sum(given) / len(given) if given else None,
        "threshold": round(threshold, 4),
    }


def _policy(result: CaseResult) -> bool:
    return (result.decision_reason or "").startswith("policy:") and result.decision != "answer"


def lodo(
    domains: Sequence[Domain], held_out: Domain, handoff_target: float
) -> dict[str, float | None]:
    """Fit on every other domain's labelled questions; score the one left out."""
    from sklearn.linear_model import LogisticRegression

    train = [(d, r) for d in domains if d is not held_out for r in d.results]
    x = np.array([d.normalised(r) for d, r in train])
    y = np.array([int(r.correct) for _, r in train])
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    # The operating point that transfers is a share of unanswerable questions handed off (a
    # precision depends on each set's labels and mix): read it off the other sets.
    scores_train = model.predict_proba(x)[:, 1]
    unanswerable = [s for s, (_, r) in zip(scores_train, train, strict=True) if not r.answerable]
    threshold = float(np.quantile(unanswerable, handoff_target))
    scores = model.predict_proba(np.array([held_out.normalised(r) for r in held_out.results]))
    return figures(held_out.results, scores[:, 1].tolist(), threshold)


def compare(domains: Sequence[Domain], handoff_target: float) -> dict[str, dict[str, Any]]:
    packaged = fallback_calibration()
    out: dict[str, dict[str, Any]] = {}
    for d in domains:
        out[d.name] = {
            "cases": len(d.results),
            "packaged": figures(
                d.results,
                [packaged.probability(r.features) for r in d.results],
                packaged.threshold,
            ),
            "self": figures(d.results, [r.confidence for r in d.results], d.calibration.threshold),
            "lodo": lodo(domains, d, handoff_target) if len(domains) > 1 else {},
            "calibration": d.calibration.version,
        }
    return out


def markdown(table: dict[str, dict[str, Any]]) -> str:
    keys = (
        "auroc_answerable",
        "ece",
        "answerable_handoff_rate",
        "unanswerable_handoff_rate",
        "confidently_wrong_rate",
        "threshold",
    )
    lines = [
        "# Confidence transfer: packaged vs self-calibrated vs leave-one-domain-out",
        "",
        "| set | scoring | " + " | ".join(keys) + " |",
        "|---|---|" + "---|" * len(keys),
    ]
    for name, row in table.items():
        for scoring in ("packaged", "self", "lodo"):
            values = row.get(scoring) or {}
            cells = ["n/a" if values.get(k) is None else f"{values[k]:.3f}" for k in keys]
            lines.append(f"| {name} (n={row['cases']}) | {scoring} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--dev-eval", type=Path, required=True, help="folder of question sets")
    parser.add_argument("--sets", nargs="+", default=["covidfaq", "mtrag_dev"])
    parser.add_argument("--report", type=Path, default=None, help="write transfer.json/.md here")
    args = parser.parse_args(argv)
    settings = Settings()
    domains = [collect("sample", settings, load_golden(SAMPLE / "golden.yaml"), None)]
    for name in args.sets:
        folder = args.dev_eval / name
        domains.append(
            collect(
                name,
                settings,
                external_cases(folder / "questions.jsonl"),
                corpus_documents(folder / "corpus.jsonl"),
            )
        )
    table = compare(domains, settings.handoff_target)
    text = markdown(table)
    print(text)
    if args.report:
        args.report.mkdir(parents=True, exist_ok=True)
        (args.report / "transfer.json").write_text(json.dumps(table, indent=2), encoding="utf-8")
        (args.report / "transfer.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
