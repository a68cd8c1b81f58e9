"""What the retrieval benchmark prints and draws: the latency and recall tables, and
benchmarks/out/retrieval.png (latency per index size beside recall@5 per variant).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 132)  # tables fit when piped

GOAL_P95_MS = 50.0
GOAL_CHUNKS = 100_000


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5))
    width = 0.2
    timed = [r for r in results if r["latency"]]
    x = np.arange(len(timed))
    bars = (("answer", "p50_ms", "ours answer() p50", "tab:blue"),
            ("answer", "p95_ms", "ours answer() p95", "lightsteelblue"),
            ("baseline", "p50_ms", "LangChain p50", "tab:orange"),
            ("baseline", "p95_ms", "LangChain p95", "navajowhite"))  # fmt: skip
    for n, (who, key, label, color) in enumerate(bars):
        values = [r["latency"][who][key] for r in timed]
        left.bar(x + (n - 1.5) * width, values, width, label=label, color=color)
    left.axhline(GOAL_P95_MS, color="tab:red", linestyle="--",
                 label=f"goal: answer() p95 ≤ {GOAL_P95_MS:.0f} ms at 100k")  # fmt: skip
    left.set_xticks(x, [f"{r['chunks']:,} chunks" for r in timed])
    left.set_ylabel("milliseconds")
    left.set_title(f"Latency per question ({os.cpu_count()}-core CPU)")
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)

    x = np.arange(len(results))
    kinds = (("fused", "ours: fused", "tab:blue"), ("dense", "ours: dense only", "tab:purple"),
             ("keyword", "ours: keyword only", "tab:green"),
             ("baseline", "LangChain Chroma k=5", "tab:orange"))  # fmt: skip
    for n, (key, label, color) in enumerate(kinds):
        right.bar(x + (n - 1.5) * width, [r["recall_at_5"][key] for r in results], width,
                  label=label, color=color)  # fmt: skip
    right.set_xticks(x, [f"{r['index']}\n{r['chunks']:,} chunks" for r in results])
    right.set_ylim(0, 1.05)
    right.set_ylabel("recall@5 (any expected document)")
    right.set_title("Recall@5 on the golden questions")
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_tables(results: list[dict[str, Any]], questions: int, recall_cases: int) -> None:
    latency = Table(
        title=f"latency per question, p50 / p95 in ms ({questions} golden questions in shuffled "
        f"order; timed = calls per method; {os.cpu_count()}-core CPU)"
    )
    headers = ("index", "chunks", "timed", "ours answer()", "ours search()",
               "LangChain k=5", "answer() ÷ LC", "search() ÷ LC",
               f"goal: answer() p95 ≤ {GOAL_P95_MS:.0f} ms at 100k")  # fmt: skip
    for header in headers:
        latency.add_column(header, justify="right")
    for r in results:
        t = r["latency"]
        if not t:
            continue
        goal = ""
        if r["chunks"] >= GOAL_CHUNKS * 0.9:
            goal = "met" if t["answer"]["p95_ms"] <= GOAL_P95_MS else "NOT met"
        latency.add_row(
            r["index"], f"{r['chunks']:,}", f"{t['timed_questions']:,}",
            *(f"{t[who]['p50_ms']:.1f} / {t[who]['p95_ms']:.1f}"
              for who in ("answer", "search", "baseline")),
            f"{t['ratio_p50']:.2f}× / {t['ratio_p95']:.2f}×",
            f"{t['search_ratio_p50']:.2f}× / {t['search_ratio_p95']:.2f}×", goal,
        )  # fmt: skip
    console.print(latency)

    recall = Table(title=f"recall@5 on the {recall_cases} golden questions with expected_sources")
    for header in ("index", "chunks", "ours: fused", "ours: dense only", "ours: keyword only",
                   "LangChain Chroma k=5"):  # fmt: skip
        recall.add_column(header, justify="right")
    for r in results:
        rc = r["recall_at_5"]
        values = [f"{rc[k]:.3f}" for k in ("fused", "dense", "keyword", "baseline")]
        recall.add_row(r["index"], f"{r['chunks']:,}", *values)
    console.print(recall)
