"""Timing for the retrieval benchmark: wall-clock latency of `answer()`, of `search()` alone
and of the baseline, interleaved question by question, with the CPU other processes used
meanwhile (contention inflates latency, so it is measured and reported).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from assistant.ports import Embedder, Vectors
from assistant.service import SupportAssistant
from benchmarks.retrieval_report import console
from benchmarks.retrieval_variants import CachedEmbedder

TIMING_BUDGET_S = 100.0  # per index size: a loaded machine times fewer questions, and says so
MIN_TIMED = 60  # questions timed per index size whatever the budget
WARMUP = 10  # untimed questions after each enlargement (Chroma loads its HNSW index lazily)


class CountingEmbedder(CachedEmbedder):
    """Counts model passes (not cached): how many embeddings one answer() costs."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__(embedder)
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        return self._embedder.embed(texts)


def embeds_per_answer(assistant: SupportAssistant, questions: Sequence[str]) -> float:
    counter = CountingEmbedder(assistant.embedder)
    probe = dataclasses.replace(assistant, embedder=counter)
    for question in questions:
        probe.answer(question)
    return counter.calls / len(questions)


class CpuMeter:
    """CPU that other processes used (in cores, averaged) between start() and stop():
    system-wide busy time from /proc/stat minus this process's own CPU time."""

    def __init__(self) -> None:
        self._start: tuple[float, float, float] | None = None

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except OSError:
            return None
        ticks = [int(x) for x in fields[:8]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        own = os.times()
        return time.perf_counter(), busy, own.user + own.system

    def start(self) -> None:
        self._start = self._sample()

    def stop(self) -> float | None:
        end = self._sample()
        if self._start is None or end is None or end[0] <= self._start[0]:
            return None
        wall = end[0] - self._start[0]
        others = (end[1] - self._start[1]) - (end[2] - self._start[2])
        return max(others, 0.0) / wall


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    ms = np.asarray(seconds, dtype=np.float64) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "mean_ms": float(ms.mean()), "samples": float(len(ms))}  # fmt: skip


def time_questions(
    label: str, assistant: SupportAssistant, baseline: Any, questions: Sequence[str], repeats: int
) -> dict[str, Any]:
    """Wall-clock latency of answer(), of search() alone and of the baseline, per question,
    interleaved (who goes first rotates) so that load drifts hit all three alike."""
    warm_started = time.perf_counter()
    first_ms = 0.0
    for n, question in enumerate(questions[:WARMUP]):
        assistant.answer(question)
        baseline.invoke(question)
        if n == 0:
            first_ms = (time.perf_counter() - warm_started) * 1000

    calls: list[tuple[str, Callable[[str], object]]] = [
        ("answer", assistant.answer),
        ("search", lambda q: assistant.retriever.search(q)),
        ("baseline", baseline.invoke),
    ]
    timings: dict[str, list[float]] = {name: [] for name, _ in calls}
    meter = CpuMeter()
    meter.start()
    load_before = os.getloadavg()[0]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{label}: timing", total=len(questions))
        timing_started = time.perf_counter()
        passes = 0
        for rep in range(repeats):
            if rep and time.perf_counter() - timing_started > TIMING_BUDGET_S / 2:
                break  # a slow (loaded) machine: no second pass within the budget
            passes += 1
            bar.reset(task, description=f"{label}: timing pass {passes}")
            for i, question in enumerate(questions):
                over = time.perf_counter() - timing_started > TIMING_BUDGET_S
                if over and len(timings["answer"]) >= MIN_TIMED:
                    break  # the order is shuffled: the questions timed are a random sample
                shift = (i + rep) % len(calls)
                for name, call in calls[shift:] + calls[:shift]:
                    started = time.perf_counter()
                    call(question)
                    timings[name].append(time.perf_counter() - started)
                bar.advance(task)
    others = meter.stop()

    answer, search, lc = (percentiles(timings[n]) for n in ("answer", "search", "baseline"))
    return {
        "passes": passes,
        "timed_questions": len(timings["answer"]),
        "warmup_first_query_ms": first_ms,
        "answer": answer,
        "search": search,
        "baseline": lc,
        "ratio_p50": answer["p50_ms"] / lc["p50_ms"],
        "ratio_p95": answer["p95_ms"] / lc["p95_ms"],
        "search_ratio_p50": search["p50_ms"] / lc["p50_ms"],
        "search_ratio_p95": search["p95_ms"] / lc["p95_ms"],
        "other_processes_cores": others,
        "load1_before": load_before,
        "load1_after": os.getloadavg()[0],
    }
