"""Every `answerdesk eval` run, kept for the admin console: when it ran, on which question set,
its headline metrics, the regressions against its baseline, and where its report is.

Runs are appended to `<data_dir>/eval-history.jsonl`. A run given no `--report` folder writes
its report under `<data_dir>/eval-runs/<run id>/`, so every recorded run has one to open.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from evals.summary import HEADLINE

HISTORY_FILE = "eval-history.jsonl"
RUNS_DIR = "eval-runs"
_ID = re.compile(r"^[0-9a-f]{12}$")


@dataclass(frozen=True)
class EvalRun:
    id: str
    at: str  # ISO time, UTC
    question_set: str  # the golden file's or the external questions' path
    cases: int
    metrics: dict[str, float | None]  # the headline metrics this run measured
    regressions: list[str]  # metrics that got worse than the baseline beyond tolerance
    report_dir: str


def new_run() -> str:
    return uuid.uuid4().hex[:12]


def default_report_dir(settings: Settings, run_id: str) -> Path:
    return settings.data_dir / RUNS_DIR / run_id


def record_run(
    settings: Settings,
    run_id: str,
    question_set: Path,
    results: dict[str, Any],
    regressions: list[dict[str, Any]],
    report_dir: Path,
) -> EvalRun:
    measured = results.get("metrics", {})
    run = EvalRun(
        id=run_id,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        question_set=str(question_set),
        cases=int(results.get("cases", 0)),
        metrics={m: measured[m] for m in HEADLINE if m in measured},
        regressions=[str(r["metric"]) for r in regressions],
        report_dir=str(report_dir.resolve()),
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / HISTORY_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(run)) + "\n")
    return run


def eval_runs(settings: Settings) -> list[EvalRun]:
    """Every recorded run, oldest first; a line that is not a run (a torn write) is skipped."""
    path = settings.data_dir / HISTORY_FILE
    if not path.exists():
        return []
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            runs.append(EvalRun(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return runs


def report_of(settings: Settings, run_id: str) -> Path:
    """The HTML report of a recorded run: only a recorded run's own `report.html`."""
    run = next((r for r in eval_runs(settings) if _ID.match(run_id) and r.id == run_id), None)
    path = Path(run.report_dir) / "report.html" if run else None
    if path is None or not path.is_file():
        raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No report for evaluation run {run_id!r}.")
    return path
