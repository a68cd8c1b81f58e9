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
Writes benchmarks/out/retrieval.json and benchmarks/out/retrieval.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStoreRetriever
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from assistant.backends import make_chat_model, make_embedder, make_vector_index
from assistant.backends.bm25_index import Bm25Index
from assistant.index import LiveIndex
from assistant.manifest import Manifest
from assistant.ports import Embedder, Vectors
from assistant.retrieval import Retriever
from assistant.service import SupportAssistant, load_calibration
from assistant.settings import Settings
from assistant.types import Chunk, Document, SourceKind
from evals.golden import load_golden

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
GOLDEN = SAMPLE / "golden.yaml"
OUT = REPO / "benchmarks" / "out"
console = Console(width=None if sys.stdout.isatty() else 132)  # tables fit when piped

SIZES = (10_000, 100_000)  # total chunks, the sample's real ones included
REPEATS = 2  # timed passes over the questions (at least one, more while within the budget)
INSERT_BUDGET_S = 300.0  # an enlargement projected to take longer is reduced, and says so
TIMING_BUDGET_S = 100.0  # per index size: a loaded machine times fewer questions, and says so
MIN_TIMED = 60  # questions timed per index size whatever the budget
WARMUP = 10  # untimed questions after each enlargement (Chroma loads its HNSW index lazily)
K = 5
GOAL_P95_MS = 50.0
GOAL_CHUNKS = 100_000
NOISE = 1.0  # perturbation norm relative to the unit vector: cosine to the source ≈ 0.71
UPSERT_BATCH = 2000
SEED = 7
BUSY_OTHERS = 0.25  # cores used by other processes above which figures are flagged


# --- synthetic knowledge base ------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


AREAS = _words(
    "billing, invoicing, banking, security, api, troubleshooting, expenses, getting-started, "
    "integrations, account, mobile, reports"
)
AUDIENCES = (["all"], ["all"], ["all"], ["paid", "admin"], ["paid", "trial"], ["paid"],
             ["admin"], ["trial", "free"])  # fmt: skip
KINDS: tuple[SourceKind, ...] = ("article", "case", "faq")
KIND_WEIGHTS = (0.55, 0.3, 0.15)  # documents; articles have several chunks each
NOUNS = _words(
    "invoice, payment, receipt, expense, bank feed, statement, report, workspace, user, role, "
    "plan, subscription, card, refund, credit note, customer, supplier, tax rate, VAT number, "
    "currency, export, import, template, reminder, webhook, API key, token, integration, "
    "category, mileage claim, approval, transaction, reconciliation rule, attachment, "
    "password, login, two-factor code, mobile app, notification, dashboard, quote, "
    "purchase order, project, timesheet, payout, balance, ledger"
)
VERBS = _words(
    "create, edit, delete, export, import, connect, disconnect, approve, reconcile, archive, "
    "restore, send, download, upload, assign, enable, disable, rename, merge, schedule, match, "
    "refund, verify, reset"
)
PROBLEMS = _words(
    "does not appear, shows the wrong total, fails with an error, is stuck as pending, "
    "was sent twice, is greyed out, stopped syncing, has the wrong date, cannot be saved, "
    "times out"
)
STATES = _words(
    "active, verified, up to date, connected, approved, enabled, saved, in the right currency, "
    "assigned to you, not archived"
)
PLANS = _words("Free, Starter, Pro, Business, Enterprise")
UNITS = _words("minutes, hours, days, business days, weeks")
MENUS = _words(
    "Settings, Billing, Banking, Invoices, Expenses, Reports, Team, Integrations, Profile, "
    "Developers"
)
SECTIONS = _words(
    "Before you start, Step by step, If this doesn't work, Limits, Permissions, "
    "What happens next, Troubleshooting, On the mobile app"
)


def _sentence(rng: random.Random) -> str:
    noun, other, verb = rng.choice(NOUNS), rng.choice(NOUNS), rng.choice(VERBS)
    templates = (
        f"To {verb} a {noun}, go to **{rng.choice(MENUS)} → {other.title()}** and click "
        f"**{verb.title()}**.",
        f"If the {noun} {rng.choice(PROBLEMS)}, check that the {other} is {rng.choice(STATES)} "
        "and try again.",
        f"On the {rng.choice(PLANS)} plan you can {verb} up to {rng.randint(2, 500)} {noun}s "
        "per month.",
        f"The {noun} is updated within {rng.randint(1, 72)} {rng.choice(UNITS)} after you "
        f"{verb} the {other}.",
        f"Only the workspace Owner or an Admin can {verb} a {noun} linked to a {other}.",
        f"The customer reported that the {noun} {rng.choice(PROBLEMS)} after they tried to "
        f"{verb} the {other}.",
        f"We asked them to {verb} the {other} again, which fixed the {noun}.",
        f"Exports include every {noun} with its {other}, as CSV or PDF.",
    )
    return rng.choice(templates)


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _chunk_id(n: int) -> str:
    return hashlib.blake2b(f"synthetic-chunk-{n}".encode(), digest_size=12).hexdigest()


@dataclass
class Synthetic:
    documents: list[tuple[Document, str, list[Chunk]]] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)


def synthetic_documents(count: int, start: int, rng: random.Random) -> Synthetic:
    """`count` chunks in documents numbered from `start`: multi-chunk articles, one-chunk FAQs
    and cases, random product area and audience."""
    out = Synthetic()
    n = start
    while len(out.chunks) < count:
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        if kind == "article":
            doc_id, title = f"article:synthetic/{n:07d}", f"{verb.title()} a {noun} ({n})"
            parts = rng.randint(1, 6)
        elif kind == "faq":
            doc_id, title = f"faq:synthetic-{n:07d}", f"How do I {verb} a {noun}? ({n})"
            parts = 1
        else:
            doc_id = f"case:SYN-{n:07d}"
            title = f"{noun.capitalize()} {rng.choice(PROBLEMS)} (SYN-{n:07d})"
            parts = 1
        parts = min(parts, count - len(out.chunks))
        sections = ["", *rng.sample(SECTIONS, k=parts - 1)] if kind == "article" else [""]
        metadata: dict[str, Any] = {
            "product_area": rng.choice(AREAS),
            "audience": list(rng.choice(AUDIENCES)),
            "tags": rng.sample([w.replace(" ", "-") for w in NOUNS], k=3),
            "locale": "en",
        }
        url = "" if kind == "case" else f"https://help.tallybook.example/synthetic/{n}"
        updated = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        texts = [_paragraph(rng, rng.randint(3, 6)) for _ in range(parts)]
        chunk_meta = {**metadata, "kind": kind, "title": title, "url": url, "updated_at": updated}
        chunks = [
            Chunk(_chunk_id(n * 8 + i), doc_id, i, text, section, dict(chunk_meta))
            for i, (text, section) in enumerate(zip(texts, sections, strict=True))
        ]
        document = Document(doc_id, kind, title, "\n\n".join(texts), url, updated,
                            "synthetic", metadata)  # fmt: skip
        out.documents.append((document, f"synthetic-{n}", chunks))
        out.chunks += chunks
        n += 1
    return out


def synthetic_vectors(base: Vectors, count: int, rng: np.random.Generator) -> Vectors:
    """Unit vectors near randomly chosen real ones: normalise(v + NOISE · g/√d), float32."""
    dim = base.shape[1]
    picked = base[rng.integers(0, len(base), size=count)]
    noise = rng.standard_normal((count, dim), dtype=np.float32) * np.float32(NOISE / dim**0.5)
    vectors = picked + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def _chroma_client(settings: Settings) -> Any:
    """The embedded Chroma client the index uses (same path and settings: the same instance)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str((settings.index_dir / "chroma").resolve()),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )


def real_vectors(settings: Settings, collection: str) -> Vectors:
    got = _chroma_client(settings).get_collection(collection).get(include=["embeddings"])
    return np.asarray(got["embeddings"], dtype=np.float32)


def enlarge(
    settings: Settings, manifest: Manifest, live: LiveIndex, synthetic: Synthetic, vectors: Vectors
) -> dict[str, float]:
    """Add synthetic chunks the way a sync would: vectors and keyword index first, then one
    manifest commit (keeping the existing meta) makes them live."""
    from ingest.chunking import embedding_text

    meta = manifest.meta()
    index = make_vector_index(settings, meta["collection"])
    total = len(synthetic.chunks)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    started = time.perf_counter()
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"adding {total:,} synthetic vectors to Chroma", total=total)
        for begin in range(0, total, UPSERT_BATCH):
            part = synthetic.chunks[begin : begin + UPSERT_BATCH]
            index.upsert(part, vectors[begin : begin + UPSERT_BATCH])
            bar.advance(task, len(part))
    chroma_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with console.status(
        f"rebuilding the keyword index ({manifest.chunk_count() + total:,} chunks)"
    ):
        everything = [*manifest.chunks(), *synthetic.chunks]
        keyword_dir = f"keyword-{uuid.uuid4().hex[:12]}"
        Bm25Index.build(
            [c.id for c in everything],
            [embedding_text(str(c.metadata.get("title", "")), c.section, c.text)
             for c in everything],
        ).save(settings.index_dir / keyword_dir)  # fmt: skip
    keyword_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with console.status("committing the manifest"):
        manifest.commit(synthetic.documents, [], {**meta, "keyword_dir": keyword_dir})
    commit_seconds = time.perf_counter() - started
    live.refresh()
    shutil.rmtree(settings.index_dir / meta["keyword_dir"], ignore_errors=True)
    return {
        "chroma_add_seconds": chroma_seconds,
        "chroma_add_per_s": total / chroma_seconds if chroma_seconds else 0.0,
        "keyword_build_seconds": keyword_seconds,
        "manifest_commit_seconds": commit_seconds,
    }


# --- the baseline ------------------------------------------------------------------------------


class MiniLmEmbeddings(Embeddings):
    """Our bundled MiniLM as a LangChain `Embeddings` (nothing is downloaded)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in v] for v in self._embedder.embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._embedder.embed([text])[0]]


def langchain_retriever(settings: Settings, collection: str, embedder: Embedder) -> Any:
    """langchain-chroma over the very collection the live index reads."""
    from langchain_chroma import Chroma

    store = Chroma(
        collection_name=collection,
        embedding_function=MiniLmEmbeddings(embedder),
        client=_chroma_client(settings),
        create_collection_if_not_exists=False,
    )
    retriever: VectorStoreRetriever = store.as_retriever(search_kwargs={"k": K})
    return retriever


def baseline_documents(retriever: Any, question: str) -> list[str]:
    """Distinct document ids of the retrieved chunks, best first."""
    found: list[str] = []
    for doc in retriever.invoke(question):
        doc_id = str(doc.metadata.get("document_id", ""))
        if doc_id not in found:
            found.append(doc_id)
    return found


# --- measuring ---------------------------------------------------------------------------------


class CachedEmbedder:
    """Untimed recall runs embed each question once."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.name, self.dimension = embedder.name, embedder.dimension
        self.max_tokens = embedder.max_tokens
        self._cache: dict[str, Vectors] = {}

    def embed(self, texts: Sequence[str]) -> Vectors:
        key = "\x00".join(texts)
        if key not in self._cache:
            self._cache[key] = self._embedder.embed(texts)
        return self._cache[key]

    def count_tokens(self, text: str) -> int:
        return self._embedder.count_tokens(text)


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


def recall_at_k(ranked: dict[str, list[str]], expected: dict[str, set[str]]) -> float:
    hits = [bool(set(ranked[case][:K]) & sources) for case, sources in expected.items()]
    return sum(hits) / len(hits) if hits else 0.0


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


def recall_ablation(
    index: LiveIndex,
    settings: Settings,
    embedder: CachedEmbedder,
    baseline: Any,
    questions: dict[str, str],
    expected: dict[str, set[str]],
) -> dict[str, float]:
    """Recall@5 of fused (what answer() retrieves for a first message), dense-only and
    keyword-only (the other fusion weight at 0), and of the baseline. Untimed, so each
    question is embedded once and reused."""
    variants = {"fused": {}, "dense": {"fusion_keyword_weight": 0.0},
                "keyword": {"fusion_dense_weight": 0.0}}  # fmt: skip
    recall: dict[str, float] = {}
    for name, update in variants.items():
        retriever = Retriever(index, embedder, settings.model_copy(update=update))
        ranked = {c: [p.document_id for p in retriever.search(questions[c])] for c in expected}
        recall[name] = recall_at_k(ranked, expected)
    ranked = {c: baseline_documents(baseline, questions[c]) for c in expected}
    recall["baseline"] = recall_at_k(ranked, expected)
    return recall


# --- reporting ---------------------------------------------------------------------------------


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


# --- main --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    from ingest.sync import Indexer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES),
                        help="total chunk counts to enlarge to, ascending")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="MiniLM CPU threads (default: settings)"
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    OUT.mkdir(parents=True, exist_ok=True)
    run_started = time.perf_counter()
    load_start = os.getloadavg()
    cores = os.cpu_count() or 1

    cases = load_golden(GOLDEN)
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
    console.print(f"MiniLM runs on {threads} torch thread(s)")
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
            stats = enlarge(settings, manifest, live, synthetic, vectors)
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
    # `python benchmarks/retrieval.py` puts benchmarks/ first on sys.path, where
    # benchmarks/ingest.py would shadow the `ingest` package: look in the repository instead.
    if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path[0] = str(REPO)
    sys.exit(main())
