"""Re-indexing that cannot make answers worse: build a candidate, run the golden set, then decide.

The candidate is built beside the live index: the live index folder is copied into
`<data_dir>/candidate/<run>/` and the usual incremental sync runs on the copy, so only what
changed is embedded. The golden set then runs against the live index and against the candidate;
the candidate goes live only when no headline metric drops beyond the tolerance (the same gate
as `answerdesk eval --baseline`). Going live is the ordinary sync on the live index: it commits in
one transaction while the server keeps answering, and a running server picks it up as it picks
up any sync. Held back, the candidate stays with its comparison until it is made live anyway
(`promote`) or discarded. Every decision is appended to `<data_dir>/reindex-history.jsonl`.

Needs the embedded vector store: on a Chroma server the candidate and the live index would share
collections, so the gate refuses rather than touch the live one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.backends import make_embedder
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.ports import Embedder
from assistant.settings import Settings
from evals.evaluate import evaluate
from evals.gate import compare
from ingest.sync import SyncPlan, SyncReport, ingest

Decision = Literal["live", "held", "unchanged", "promoted", "discarded"]
Progress = Callable[[int, int], None]
GATE_FILE = "gate.json"  # the held candidate's comparison, beside its index
HISTORY_FILE = "reindex-history.jsonl"


@dataclass(frozen=True)
class GateOutcome:
    decision: Decision
    sync: dict[str, Any]  # the candidate's sync report
    comparison: list[dict[str, Any]] = field(default_factory=list)  # candidate against live
    regressions: list[dict[str, Any]] = field(default_factory=list)
    golden: str = ""
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def candidates_dir(settings: Settings) -> Path:
    return settings.data_dir / "candidate"


def candidate_settings(settings: Settings, run: str | None = None) -> Settings:
    """The settings of a candidate: run `run`, or the one held back. Each run has a folder of its
    own, so a vector store client opened on an earlier candidate is never handed a new one."""
    if run is None:
        runs = sorted(p.name for p in candidates_dir(settings).glob("*") if p.is_dir())
        run = runs[-1] if runs else "none"
    return settings.model_copy(update={"data_dir": candidates_dir(settings) / run})


def gated_ingest(
    settings: Settings,
    golden: Path,
    paths: Iterable[Path] | None = None,
    *,
    tolerance: float = 0.02,
    limit: int | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> GateOutcome:
    """Sync a candidate, compare it with the live index on `golden`, and make it live only if
    nothing regressed. Without a live index there is nothing to protect: a plain sync.
    `embedder`: one already loaded (the server's); else one is loaded, once, for the run."""
    _embedded_only(settings)
    paths = list(paths) if paths else None
    embedder = embedder or make_embedder(settings)
    if not (settings.index_dir / "manifest.sqlite3").exists():
        report = ingest(settings, paths, embedder, progress=progress)
        return _record(settings, GateOutcome("live", report.to_json(), golden=str(golden)))
    discard(settings, record=False)  # an older candidate is replaced, not merged
    candidate = candidate_settings(settings, datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f"))
    shutil.copytree(settings.index_dir, candidate.index_dir)
    report = ingest(candidate, paths, embedder, progress=progress)
    if report.plan is not None and not report.plan.changes:
        discard(settings, record=False)
        return _record(settings, GateOutcome("unchanged", report.to_json(), golden=str(golden)))
    live = _metrics(settings, golden, limit, progress, embedder)
    new = _metrics(candidate, golden, limit, progress, embedder)
    comparison = compare(new, live, tolerance)
    regressions = [row for row in comparison if row["regressed"]]
    outcome = GateOutcome(
        "held" if regressions else "live",
        report.to_json(),
        comparison,
        regressions,
        str(golden),
    )
    if regressions:
        (candidate.data_dir / GATE_FILE).write_text(json.dumps(outcome.to_json(), indent=2))
        return _record(settings, outcome)
    _make_live(settings, paths, progress, embedder, expected=report)
    discard(settings, record=False)
    return _record(settings, outcome)


def held(settings: Settings) -> GateOutcome | None:
    """The candidate held back by the gate, if there is one."""
    path = candidate_settings(settings).data_dir / GATE_FILE
    if not path.exists():
        return None
    return GateOutcome(**json.loads(path.read_text(encoding="utf-8")))


def promote(
    settings: Settings,
    paths: Iterable[Path] | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> GateOutcome:
    """Make the held candidate live anyway: the same sync, on the live index."""
    waiting = held(settings)
    if waiting is None:
        raise AnswerdeskError(ErrorCode.NOT_FOUND, "No re-index is waiting: nothing to make live.")
    _embedded_only(settings)
    report = _make_live(settings, list(paths) if paths else None, progress, embedder)
    discard(settings, record=False)
    outcome = GateOutcome(
        "promoted", report.to_json(), waiting.comparison, waiting.regressions, waiting.golden
    )
    return _record(settings, outcome)


def discard(settings: Settings, record: bool = True) -> GateOutcome | None:
    """Drop the candidate; the live index is untouched."""
    waiting = held(settings) if record else None
    shutil.rmtree(candidates_dir(settings), ignore_errors=True)
    if waiting is None:
        return None
    outcome = GateOutcome(
        "discarded", waiting.sync, waiting.comparison, waiting.regressions, waiting.golden
    )
    return _record(settings, outcome)


def history(settings: Settings) -> list[GateOutcome]:
    """Every gated re-index and what became of it, oldest first."""
    path = settings.data_dir / HISTORY_FILE
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [GateOutcome(**json.loads(line)) for line in lines if line.strip()]


def _metrics(
    settings: Settings,
    golden: Path,
    limit: int | None,
    progress: Progress | None,
    embedder: Embedder,
) -> dict[str, float | None]:
    results = evaluate(
        settings, golden, limit=limit, progress=progress, intake=False, embedder=embedder
    )
    return dict(results.results["metrics"])


def _make_live(
    settings: Settings,
    paths: list[Path] | None,
    progress: Progress | None,
    embedder: Embedder | None,
    expected: SyncReport | None = None,
) -> SyncReport:
    """The sync on the live index; with `expected`, only if it would change what the candidate
    changed (the sources did not move on since: what goes live is what was evaluated)."""
    if expected is not None and expected.plan is not None:
        plan = ingest(settings, paths, dry_run=True).plan
        if plan is None or _changes(plan) != _changes(expected.plan):
            raise AnswerdeskError(
                ErrorCode.CONFLICT,
                "The knowledge base changed while the candidate was evaluated; the live index "
                "is untouched. Run the gated re-index again.",
            )
    return ingest(settings, paths, embedder, progress=progress)


def _changes(plan: SyncPlan) -> tuple[list[str], ...]:
    return sorted(plan.added), sorted(plan.updated), sorted(plan.deleted)


def _embedded_only(settings: Settings) -> None:
    if settings.chroma_url:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT,
            "A gated re-index needs the embedded vector store: on a Chroma server the candidate "
            "would share the live index's collections. Unset ANSWERDESK_CHROMA_URL, or re-index "
            "without --gate.",
        )


def _record(settings: Settings, outcome: GateOutcome) -> GateOutcome:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / HISTORY_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(outcome.to_json()) + "\n")
    return outcome
