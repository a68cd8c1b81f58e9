"""Ingestion benchmark: pipeline throughput against raw `encode()`, and rebuild vs re-sync.

Prints, for the sample knowledge base and a 10× synthetic enlargement of it:
- documents/s and chunks/s of a full ingest (model already loaded, as in a long-lived process);
- the ratio of pipeline throughput to raw `encode()` throughput of the same chunk texts, in the
  same run (goal ≥ 0.9: loading, redaction, chunking and indexing add little to the model);
- the ratio of a full rebuild to a no-change re-sync (goal ≥ 50×).
Writes benchmarks/out/ingest.json and benchmarks/out/ingest.png.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from assistant.backends import make_embedder
from assistant.ports import Embedder
from assistant.settings import Settings
from ingest.chunking import embedding_text
from ingest.loaders import iter_source_files
from ingest.sync import Indexer

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
OUT = REPO / "benchmarks" / "out"
console = Console(width=160)  # a table too wide for a pipe is unreadable when squeezed


def enlarge(source: Path, target: Path, copies: int) -> None:
    """Copy the knowledge base `copies` times; each copy's records get their own ids."""
    for i in range(copies):
        root = target / f"copy{i}"
        for path, _ in iter_source_files([source]):  # the files ingest would read
            dest = root / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_text(encoding="utf-8")
            suffix = f"-x{i}"
            if path.suffix == ".jsonl":
                rows = [json.loads(line) for line in text.splitlines() if line.strip()]
                text = "\n".join(json.dumps({**r, "id": r["id"] + suffix}) for r in rows) + "\n"
            elif path.suffix in {".yaml", ".json"}:
                rows = yaml.safe_load(text) if path.suffix == ".yaml" else json.loads(text)
                text = json.dumps([{**r, "id": str(r["id"]) + suffix} for r in rows])
                dest = dest.with_suffix(".json")
            elif path.suffix == ".csv":
                rows = list(csv.DictReader(io.StringIO(text)))
                buffer = io.StringIO()
                writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows([{**r, "id": r["id"] + suffix} for r in rows])
                text = buffer.getvalue()
            dest.write_text(text, encoding="utf-8")


def measure(
    name: str, sources: Path, embedder: Embedder, workdir: Path, compare: bool = True
) -> dict[str, Any]:
    """A full ingest; with `compare`, also raw encode() of the same chunks, no-change re-syncs
    and a --full rebuild (each costs another pass of the model over the corpus)."""
    settings = Settings(data_dir=workdir / name, sources=[sources])
    indexer = Indexer(settings, embedder)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"{name}: full ingest", total=None)
        report = indexer.sync(progress=lambda d, t: bar.update(task, completed=d, total=t))
    full = report.seconds
    documents = report.added
    texts = [
        embedding_text(str(c.metadata.get("title", "")), c.section, c.text)
        for c in indexer.manifest.chunks()
    ]
    result: dict[str, Any] = {
        "corpus": name,
        "documents": documents,
        "chunks": len(texts),
        "ingest_seconds": full,
        "documents_per_s": documents / full,
        "chunks_per_s": len(texts) / full,
    }
    if not compare:
        indexer.close()
        return result
    started = time.perf_counter()
    embedder.embed(texts)
    raw = time.perf_counter() - started
    noop = statistics.median(indexer.sync().seconds for _ in range(3))
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"{name}: --full rebuild", total=None)
        rebuild = indexer.sync(
            full=True, progress=lambda d, t: bar.update(task, completed=d, total=t)
        ).seconds
    indexer.close()
    return {
        **result,
        "raw_encode_chunks_per_s": len(texts) / raw,
        "pipeline_vs_encode": raw / full,
        "noop_resync_seconds": noop,
        "rebuild_seconds": rebuild,
        "rebuild_vs_noop": rebuild / noop,
    }


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    names = [r["corpus"] for r in results]
    x = range(len(names))
    left.bar([i - 0.2 for i in x], [r["chunks_per_s"] for r in results], 0.4, label="pipeline")
    left.bar(
        [i + 0.2 for i in x],
        [r.get("raw_encode_chunks_per_s", 0) for r in results],
        0.4,
        label="raw encode()",
    )
    left.set_xticks(list(x), names)
    left.set_ylabel("chunks / second")
    left.set_title("Ingest throughput vs the model alone")
    left.legend()
    compared = [r for r in results if "rebuild_vs_noop" in r]
    right.bar(
        [r["corpus"] for r in compared], [r["rebuild_vs_noop"] for r in compared], color="tab:green"
    )
    right.axhline(50, color="tab:red", linestyle="--", label="goal 50×")
    right.set_yscale("log")
    right.set_title("Full rebuild ÷ no-change re-sync")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    console.print("loading the embedding model…")
    embedder = make_embedder(Settings())
    embedder.embed(["warm up"])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results.append(measure("sample", SAMPLE, embedder, work))
        enlarge(SAMPLE, work / "kb10x", copies=10)
        # The enlargement's figure is throughput; the comparisons run on the sample above.
        results.append(measure("sample×10", work / "kb10x", embedder, work, compare=False))
        shutil.rmtree(work / "kb10x", ignore_errors=True)

    table = Table(title="ingest benchmark (model loaded once; 2-core CPU)")
    columns = [
        ("corpus", "corpus", "{}"),
        ("documents", "docs", "{:,}"),
        ("chunks", "chunks", "{:,}"),
        ("ingest_seconds", "ingest s", "{:.1f}"),
        ("documents_per_s", "docs/s", "{:.1f}"),
        ("chunks_per_s", "chunks/s", "{:.1f}"),
        ("raw_encode_chunks_per_s", "encode chunks/s", "{:.1f}"),
        ("pipeline_vs_encode", "pipeline ÷ encode (goal ≥ 0.9)", "{:.2f}"),
        ("noop_resync_seconds", "no-change s", "{:.2f}"),
        ("rebuild_seconds", "rebuild s", "{:.1f}"),
        ("rebuild_vs_noop", "rebuild ÷ no-change (goal ≥ 50)", "{:.0f}×"),
    ]
    for _, header, _ in columns:
        table.add_column(header, justify="right")
    for r in results:
        table.add_row(*(fmt.format(r[key]) if key in r else "—" for key, _, fmt in columns))
    console.print(table)
    (OUT / "ingest.json").write_text(json.dumps(results, indent=2))
    plot(results, OUT / "ingest.png")
    console.print(f"wrote {OUT / 'ingest.json'} and {OUT / 'ingest.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
