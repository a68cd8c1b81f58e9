"""Dashboard benchmark: the admin dashboard over a 10,000-conversation history, on SQLite and
on PostgreSQL, beside the row-loading statistics it replaces.

Generates the history (benchmarks/history.py) into a temporary SQLite file and into a fresh
schema of the PostgreSQL at `--postgres` (default: the machine's, 127.0.0.1:5432/test; the
schema is dropped afterwards), then times, on each:
- the dashboard (`store.dashboard`, SQL aggregates, response times also within the default
  support hours, as the server asks for it) over the last 30 days and over the whole 60-day
  history (goal: p95 ≤ 300 ms);
- the baseline: `collect_stats`, which loads every conversation, message, case and feedback
  row into Python (what `GET /v1/admin/stats` does), over the same history.
Prints p50/p95 and the ratio baseline ÷ dashboard; writes benchmarks/out/dashboard.json and a
plot, benchmarks/out/dashboard.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import create_engine, make_url, text

from assistant.handoff.wait import SupportHours
from assistant.settings import Settings
from assistant.store.sql import SqlCaseStore
from benchmarks.history import SPAN, generate
from server.exports import collect_stats

OUT = Path(__file__).resolve().parent / "out"
GOAL_MS = 300.0
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
END = datetime(2026, 11, 30, 12, tzinfo=UTC)
HOURS = SupportHours.parse(Settings().support_hours, Settings().support_timezone)
console = Console(width=None if sys.stdout.isatty() else 132)


def percentiles(values: Sequence[float]) -> tuple[float, float]:
    return float(statistics.median(values)), float(np.percentile(values, 95))


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema on `url`, as a URL whose search_path is that schema; dropped after."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def timed(call: Callable[[], object], repeat: int, bar: Progress, label: str) -> list[float]:
    task = bar.add_task(label, total=repeat)
    call()  # warm: the first call pays for connecting and the database's caches
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
        bar.advance(task)
    return took


def board(store: SqlCaseStore, since: datetime) -> object:
    """What `GET /v1/admin/dashboard` asks the store: up to END, with the open hours."""
    return store.dashboard(since, END, HOURS.open_between(since, END))


def measure(
    name: str, url: str, conversations: int, repeat: int, bar: Progress
) -> dict[str, object]:
    store = SqlCaseStore.open(url)
    try:
        task = bar.add_task(f"{name}: writing {conversations:,} conversations", total=conversations)
        generate(store.engine, conversations, END, progress=lambda n: bar.update(task, completed=n))
        month = timed(
            lambda: board(store, END - timedelta(days=30)), repeat, bar, f"{name}: 30 days"
        )
        whole = timed(lambda: board(store, END - SPAN), repeat, bar, f"{name}: whole history")
        baseline = timed(
            lambda: collect_stats(store), max(3, repeat // 10), bar, f"{name}: loading rows"
        )
    finally:
        store.close()
    return {"backend": name, "dashboard_30d_ms": month, "dashboard_all_ms": whole,
            "baseline_ms": baseline}  # fmt: skip


def report(results: list[dict[str, object]], conversations: int) -> None:
    table = Table(title=f"admin dashboard over {conversations:,} generated conversations (ms)")
    for header in ("store", "what", "runs", "p50", "p95", "goal p95", "baseline p50 ÷ this p50"):
        table.add_column(header, justify="left" if header in ("store", "what") else "right")
    for result in results:
        base = statistics.median(result["baseline_ms"])  # type: ignore[arg-type]
        for key, what in (
            ("dashboard_30d_ms", "dashboard, last 30 days"),
            ("dashboard_all_ms", "dashboard, whole history"),
            ("baseline_ms", "baseline: /stats loading rows"),
        ):
            values: list[float] = result[key]  # type: ignore[assignment]
            p50, p95 = percentiles(values)
            is_goal = key != "baseline_ms"
            verdict = ("meets " if p95 <= GOAL_MS else "misses ") + f"{GOAL_MS:.0f}"
            table.add_row(
                str(result["backend"]), what, str(len(values)), f"{p50:.0f}", f"{p95:.0f}",
                verdict if is_goal else "—", f"{base / p50:.1f}×" if is_goal else "1.0×",
            )  # fmt: skip
    console.print(table)


def plot(results: list[dict[str, object]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.6), squeeze=False)
    for ax, result in zip(axes[0], results, strict=True):
        keys = ("dashboard_30d_ms", "dashboard_all_ms", "baseline_ms")
        labels = ("30 days", "whole history", "baseline\n(loads rows)")
        ax.boxplot([result[k] for k in keys], tick_labels=labels)
        ax.axhline(GOAL_MS, color="tab:red", linestyle="--", label=f"goal p95 {GOAL_MS:.0f} ms")
        ax.set_yscale("log")
        ax.set_title(str(result["backend"]))
        ax.set_ylabel("ms per call")
        ax.legend(loc="upper left")
    fig.tight_layout()
    path = OUT / "dashboard.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", default=POSTGRES, help="PostgreSQL URL ('' to skip)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    results = []
    with tempfile.TemporaryDirectory() as tmp, Progress(*columns, console=console) as bar:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        results.append(measure("SQLite", url, args.conversations, args.repeat, bar))
        if args.postgres:
            try:
                with postgres_schema(args.postgres) as scoped:
                    results.append(
                        measure("PostgreSQL", scoped, args.conversations, args.repeat, bar)
                    )
            except Exception as exc:  # not running: say so, the SQLite figures still stand
                console.print(f"[red]PostgreSQL at {args.postgres} not measured: {exc}")
    report(results, args.conversations)
    (OUT / "dashboard.json").write_text(
        json.dumps(
            {"conversations": args.conversations, "goal_p95_ms": GOAL_MS, "results": results},
            indent=2,
        )
    )
    console.print(f"wrote {OUT / 'dashboard.json'} and {plot(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
