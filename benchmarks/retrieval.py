"""Retrieval benchmark: `SupportAssistant.answer()` latency at 10k and 100k chunks, and recall,
against the plain LangChain retriever a user would otherwise build.

The sample knowledge base is indexed with the real pipeline, then enlarged with synthetic chunks
(support-like text from a word list, random kind/product_area/audience) whose vectors are
random perturbations of real chunk vectors: embedding 100k real texts would take over an hour
here. Synthetic chunks go into all three stores the live index reads (the Chroma collection,
the manifest's chunk table, a rebuilt BM25 index), so `answer()` sees one ordinary index.

Prints, over the golden questions (their last message):
- at ~10k and ~100k chunks, p50/p95 of `answer()` (extractive backend) and of
  `Retriever.search()` alone (goal: answer() p95 ≤ 50 ms at 100k chunks on 2 cores), and of
  langchain-chroma's `Chroma(...).as_retriever(k=5)` over the same collection with the same
  MiniLM; the ratios ours ÷ baseline. The three are interleaved question by question;
- at the sample's size, ~10k and ~100k, recall@5 (any expected document among the top-5
  distinct documents) of ours fused, dense-only and keyword-only (the other fusion weight at 0),
  and of the baseline: the measurement behind the fusion weights.
Other processes' CPU use while timing is measured and reported: contention inflates latency.
Writes benchmarks/out/retrieval.json and benchmarks/out/retrieval.png. `--limit N` asks only
the first N golden questions (with small `--sizes` and `--repeats 1`: a quick smoke run).

This module runs the measurement; the enlarged index is built in `retrieval_corpus`, the
compared retrievers are in `retrieval_variants`, the timing in `retrieval_timing`, and the
tables and figure in `retrieval_report`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import Progress

from assistant.backends import make_chat_model, make_embedder
from assistant.index import LiveIndex
from assistant.service import SupportAssistant, load_calibration
from assistant.settings import Settings
from benchmarks.retrieval_corpus import (
    NOISE,
    enlarge,
    real_vectors,
    synthetic_documents,
    synthetic_vectors,
)
from benchmarks.retrieval_report import GOAL_CHUNKS, GOAL_P95_MS, console, plot, print_tables
from benchmarks.retrieval_timing import TIMING_BUDGET_S, WARMUP, embeds_per_answer, time_questions
from benchmarks.retrieval_variants import CachedEmbedder, K, langchain_retriever, recall_ablation
from evals.golden import load_golden
from ingest.sync import Indexer

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
GOLDEN = SAMPLE / "golden.yaml"
OUT = REPO / "benchmarks" / "out"

SIZES = (10_000, 100_000)  # total chunks, the sample's real ones included
REPEATS = 2  # timed passes over the questions (at least one, more while within the budget)
INSERT_BUDGET_S = 300.0  # an enlargement projected to take longer is reduced, and says so
SEED = 7
BUSY_OTHERS = 0.25  # cores used by other processes above which figures are flagged


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES),
                        help="total chunk counts to enlarge to, ascending")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument(
        "--limit", type=int, default=None, help="ask only the first N golden questions"
    )
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="MiniLM CPU threads (default: settings)"
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    OUT.mkdir(parents=True, exist_ok=True)
    run_started = time.perf_counter()
    load_start = os.getloadavg()
    cores = os.cpu_count() or 1

    cases = load_golden(GOLDEN)[: args.limit]
    questions = {c.id: c.messages[-1] for c in cases}
    expected = {c.id: set(c.expected_sources) for c in cases if c.expected_sources}

    console.print(
        f"load average at start: {', '.join(f'{x:.2f}' for x in load_start)} on {cores} cores"
    )
    console.print("loading the embedding model…")
    threads_given = args.torch_threads is not None
    model_settings = Settings(torch_threads=args.torch_threads) if threads_given else Settings()
    embedder = make_embedder(model_settings)
    embedder.embed(["warm up"])
    import torch

    threads = torch.get_num_threads()
    runtime = getattr(embedder, "runtime", "PyTorch")
    console.print(f"MiniLM runs on {runtime}, {threads} thread(s)")
    cached = CachedEmbedder(embedder)
    results: list[dict[str, Any]] = []
    enlargements: list[dict[str, float]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data", sources=[SAMPLE], chat_backend="extractive"
        )
        indexer = Indexer(settings, embedder)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("indexing the sample knowledge base", total=None)
            report = indexer.sync(progress=lambda d, t: bar.update(task, completed=d, total=t))
        console.print(f"sample: {report.added} documents, {report.chunks} chunks "
                      f"in {report.seconds:.1f} s")  # fmt: skip
        manifest = indexer.manifest
        collection = manifest.meta()["collection"]
        live = LiveIndex(settings)
        assistant = SupportAssistant(settings, live, embedder, make_chat_model(settings),
                                     load_calibration(settings))  # fmt: skip
        baseline = langchain_retriever(settings, collection, embedder)
        untimed_baseline = langchain_retriever(settings, collection, cached)
        base = real_vectors(settings, collection)
        rng, nprng = random.Random(SEED), np.random.default_rng(SEED)
        timing_order = list(questions.values())
        random.Random(SEED).shuffle(timing_order)

        def measure(label: str, timed: bool) -> None:
            latency = None
            if timed:
                latency = time_questions(label, assistant, baseline, timing_order, args.repeats)
            with console.status(f"{label}: recall@5 of fused, dense, keyword and the baseline"):
                recall = recall_ablation(live, settings, cached, untimed_baseline, questions,
                                         expected)  # fmt: skip
            results.append({"index": label, "chunks": manifest.chunk_count(),
                            "recall_at_5": recall, "latency": latency})  # fmt: skip

        measure("sample", timed=False)
        minilm_passes = embeds_per_answer(assistant, timing_order[:WARMUP])
        next_doc = 0
        for wanted in sizes:
            have = manifest.chunk_count()
            size = wanted
            if enlargements:  # stay within the run-time budget on a slow machine
                affordable = have + int(enlargements[-1]["chroma_add_per_s"] * INSERT_BUDGET_S)
                if affordable < size:
                    size = affordable // 1000 * 1000
                    notes.append(
                        f"adding {wanted - have:,} vectors at "
                        f"{enlargements[-1]['chroma_add_per_s']:.0f}/s would exceed the "
                        f"{INSERT_BUDGET_S:.0f} s budget: enlarged to {size:,} chunks instead"
                    )
                    console.print(f"[yellow]note: {notes[-1]}")
            if size <= have:
                continue
            synthetic = synthetic_documents(size - have, next_doc, rng)
            next_doc += len(synthetic.documents)
            vectors = synthetic_vectors(base, len(synthetic.chunks), nprng)
            stats = enlarge(indexer, live, synthetic, vectors)
            chunks = manifest.chunk_count()
            enlargements.append({"chunks": chunks, **stats})
            console.print(
                f"{chunks:,} chunks: +{len(synthetic.chunks):,} synthetic vectors in "
                f"{stats['chroma_add_seconds']:.0f} s ({stats['chroma_add_per_s']:.0f}/s), "
                f"keyword index {stats['keyword_build_seconds']:.1f} s, "
                f"manifest {stats['manifest_commit_seconds']:.1f} s"
            )
            measure(f"~{size / 1000:g}k" if size >= 1000 else str(size), timed=True)
        live.close()
        indexer.close()

    print_tables(results, len(questions), len(expected))
    top = next((r for r in reversed(results) if r["latency"]), None)
    verdict = "not measured"
    if top is not None:
        p95 = top["latency"]["answer"]["p95_ms"]
        verdict = "met" if p95 <= GOAL_P95_MS and top["chunks"] >= GOAL_CHUNKS * 0.9 else "NOT met"
        console.print(
            f"goal answer() p95 ≤ {GOAL_P95_MS:.0f} ms at {GOAL_CHUNKS:,} chunks on 2 cores: "
            f"{p95:.1f} ms at {top['chunks']:,} chunks on {cores} cores → {verdict}"
        )
        if top["chunks"] < GOAL_CHUNKS * 0.9:
            notes.append(f"largest index measured was {top['chunks']:,} chunks, not ~100k")
    notes.append(
        "the baseline only retrieves (1 MiniLM pass + Chroma top-5); answer() also runs keyword "
        "search, fusion, widening, extractive composition, grounding and confidence, and makes "
        f"{minilm_passes:.1f} MiniLM passes per question — compare search() for retrieval alone"
    )
    notes.append(
        f"synthetic chunks are distractors: their vectors sit near real ones (noise {NOISE}, "
        "cosine ≈ 0.71 to their source) and never count as hits, so recall at 10k/100k is a "
        "lower bound shaped by that choice; the sample row is the real-data measurement"
    )
    planned = len(questions) * args.repeats
    for r in results:
        if r["latency"] and r["latency"]["timed_questions"] < planned:
            notes.append(
                f"{r['index']}: the {TIMING_BUDGET_S:.0f} s timing budget allowed "
                f"{r['latency']['timed_questions']} of {planned} calls per method (a slow or "
                "loaded machine)"
            )
    busy = [r["latency"]["other_processes_cores"] or 0.0 for r in results if r["latency"]]
    load_end = os.getloadavg()
    if busy and max(busy) > BUSY_OTHERS:
        notes.append(
            f"other processes used up to {max(busy):.2f} of {cores} cores while timing "
            f"(load average at start {load_start[0]:.2f}, end {load_end[0]:.2f}): latency "
            "figures are inflated by CPU contention; rerun on an idle machine for the goal"
            + (" (or with --torch-threads 1: MiniLM on all cores stalls when they are shared)"
               if threads > 1 else "")
        )  # fmt: skip
    for note in notes:
        console.print(f"note: {note}")
    elapsed = time.perf_counter() - run_started
    console.print(f"total run time {elapsed / 60:.1f} min")

    report_json = {
        "questions": len(questions),
        "recall_questions": len(expected),
        "repeats": args.repeats,
        "k": K,
        "goal": {"answer_p95_ms": GOAL_P95_MS, "chunks": GOAL_CHUNKS, "verdict": verdict},
        "machine": {"cores": cores, "torch_threads": threads,
                    "load_average_start": list(load_start), "load_average_end": list(load_end)},
        "minilm_passes_per_answer": minilm_passes,
        "synthetic": {"noise": NOISE, "seed": SEED, "enlargements": enlargements},
        "results": results,
        "notes": notes,
        "seconds": elapsed,
    }  # fmt: skip
    (OUT / "retrieval.json").write_text(json.dumps(report_json, indent=2))
    plot(results, OUT / "retrieval.png")
    console.print(f"wrote {OUT / 'retrieval.json'} and {OUT / 'retrieval.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
