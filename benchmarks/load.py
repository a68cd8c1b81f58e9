"""Load benchmark: the chat server under concurrent customers on loopback, beside in-process
`SupportAssistant.answer()` on the same questions.

Indexes the sample knowledge base into a temporary data dir (or uses `--data-dir`), measures
`answer()` in this process over the golden set's single-message answerable questions (the
baseline), then starts `answerdesk serve` (extractive backend) and runs two phases against it:

- 1 client: each request alone — HTTP p50 ÷ in-process `answer()` p50 is what the server adds
  (conversation and message writes, triage, JSON, HTTP);
- N clients (default 32) for a fixed time: requests/s, p50/p95/p99, errors (goal: none),
  on one server worker per core (`--workers`), as `answerdesk serve` is run for real;
- the same N clients first against a server with the per-turn savings off (`BASELINE_ENV`), so
  the throughput ratio (goal ≥ 2×) compares one build in one run (`--no-baseline` skips it).

Each simulated customer starts a conversation, asks two questions (each text made unique, so
no cache sees a repeat), and starts again. The rate
limiter is raised for the run: it exists to stop one client flooding the server, and all the
simulated customers share one IP here. Stops by itself: the phases are bounded in time and
every request has a timeout. Writes benchmarks/out/load.json and benchmarks/out/load.png.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
SAMPLE = REPO / "data" / "sample"
console = Console()


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # ms, successful requests
    errors: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (t, ms)

    def record(self, started: float, t0: float, ms: float, outcome: str, ok: bool) -> None:
        if ok:
            self.latencies.append(ms)
            self.actions[outcome] = self.actions.get(outcome, 0) + 1
            self.timeline.append((started - t0, ms))
        else:
            self.errors[outcome] = self.errors.get(outcome, 0) + 1

    def summary(self) -> dict[str, Any]:
        done = len(self.latencies)
        return {
            "clients": self.clients,
            "seconds": round(self.elapsed, 2),
            "requests": done,
            "errors": dict(self.errors),
            "requests_per_s": round(done / self.elapsed, 2) if self.elapsed else None,
            "p50_ms": pct(self.latencies, 50),
            "p95_ms": pct(self.latencies, 95),
            "p99_ms": pct(self.latencies, 99),
            "actions": dict(self.actions),
        }


def pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index], 1)


def questions() -> list[str]:
    import yaml

    cases = yaml.safe_load((SAMPLE / "golden.yaml").read_text(encoding="utf-8"))["cases"]
    return [c["question"] for c in cases if c["expected"] == "answer" and c.get("question")]


def index_sample(data_dir: Path) -> None:
    from assistant.backends import make_embedder
    from assistant.settings import Settings
    from ingest.sync import Indexer

    settings = Settings(data_dir=data_dir, sources=[SAMPLE])
    with Indexer(settings, make_embedder(settings)) as indexer:
        indexer.sync()


def in_process(data_dir: Path, asked: Sequence[str], threads: int) -> list[float]:
    """`answer()` latency in this process: the baseline the server is compared with."""
    from assistant.service import SupportAssistant
    from assistant.settings import Settings

    assistant = SupportAssistant.from_settings(Settings(data_dir=data_dir, torch_threads=threads))
    assistant.answer(asked[0])  # warm up
    out = []
    with progress() as bar:
        task = bar.add_task("in-process answer()", total=len(asked))
        for q in asked:
            out.append(assistant.answer(q).latency_ms)
            bar.advance(task)
    assistant.index.close()
    return out


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    )  # fmt: skip


# The per-turn savings, switched off for the baseline server of the same run.
BASELINE_ENV = {
    "ANSWERDESK_INDEX_MEMO_SIZE": "0",
    "ANSWERDESK_EMBED_COALESCE": "false",
    "ANSWERDESK_EMBED_CACHE_SIZE": "0",
    "ANSWERDESK_CONFIDENCE_SHORTCUT": "false",
    "ANSWERDESK_EMBEDDING_RUNTIME": "torch",
}


def start_server(
    data_dir: Path, port: int, threads: int, workers: int, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **(extra or {}),
        "ANSWERDESK_DATA_DIR": str(data_dir),
        "ANSWERDESK_TORCH_THREADS": str(threads),
        "ANSWERDESK_RATE_LIMIT_CONVERSATION_PER_MINUTE": "1000000",
        "ANSWERDESK_RATE_LIMIT_IP_PER_MINUTE": "1000000",
    }
    command = [
        str(Path(sys.executable).with_name("answerdesk")), "serve",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).close()
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the server did not start:\n{(data_dir / 'server.log').read_text()[-3000:]}")


@contextmanager
def serving(
    data_dir: Path, port: int, args: argparse.Namespace, extra: dict[str, str] | None = None
) -> Iterator[str]:
    server = start_server(data_dir, port, args.torch_threads, args.workers, extra)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def customer(base: str, asked: Sequence[str], phase: Phase, stop: float, t0: float, n: int) -> None:
    i = n
    with httpx.Client(base_url=base, timeout=30) as client:
        while time.monotonic() < stop:
            try:
                created = client.post("/v1/conversations", json={})
                created.raise_for_status()
                c = created.json()
            except httpx.HTTPError as error:
                phase.record(time.monotonic(), t0, 0, type(error).__name__, False)
                time.sleep(0.1)
                continue
            headers = {"Authorization": f"Bearer {c['token']}"}
            for _ in range(2):
                if time.monotonic() >= stop:
                    return
                started = time.monotonic()
                try:
                    r = client.post(
                        f"/v1/conversations/{c['id']}/messages",
                        # Unique text: no cache may answer a question asked before.
                        json={"text": f"{asked[i % len(asked)]} (ref {n}-{i})"},
                        headers=headers,
                    )
                    ms = (time.monotonic() - started) * 1000
                    ok = r.status_code == 200
                    outcome = r.json()["action"] if ok else f"HTTP {r.status_code}"
                except httpx.HTTPError as error:
                    ms, ok, outcome = 0.0, False, type(error).__name__
                phase.record(started, t0, ms, outcome, ok)
                i += 7


def run_phase(base: str | Sequence[str], asked: Sequence[str], phase: Phase) -> Phase:
    """`phase.clients` customers for `phase.seconds`; several `base` URLs (nodes behind a
    balancer) take the customers in turn."""
    bases = [base] if isinstance(base, str) else list(base)
    t0 = time.monotonic()
    stop = t0 + phase.seconds
    threads = [
        threading.Thread(
            target=customer, args=(bases[n % len(bases)], asked, phase, stop, t0, n), daemon=True
        )
        for n in range(phase.clients)
    ]
    for t in threads:
        t.start()
    with progress() as bar:
        task = bar.add_task(f"{phase.name}: {phase.clients} client(s)", total=phase.seconds)
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            bar.update(task, completed=min(phase.seconds, time.monotonic() - t0))
    for t in threads:
        t.join(timeout=40)
    phase.elapsed = time.monotonic() - t0
    return phase


def label(phase: Phase) -> str:
    savings = ", savings off" if phase.name == "baseline" else ""
    return f"HTTP, {phase.clients} client(s){savings}"


def plot(phases: Sequence[Phase], baseline: Sequence[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for phase in phases:
        if phase.timeline:
            xs, ys = zip(*phase.timeline, strict=True)
            right.scatter(xs, ys, s=4, alpha=0.5, label=label(phase))
    right.set(xlabel="seconds into the phase", ylabel="latency (ms)", yscale="log",
              title="HTTP message latency over time")  # fmt: skip
    right.legend()
    series = [baseline, *(p.latencies for p in phases)]
    labels = ["answer()\nin-process", *(label(p).replace(", ", "\n", 1) for p in phases)]
    left.boxplot([s or [0] for s in series], showfliers=False)
    left.set_xticks(range(1, len(labels) + 1), labels)
    left.set(ylabel="latency (ms)", yscale="log", title="latency: in-process vs over HTTP")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--single-seconds", type=float, default=15.0)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1,
        help="server worker processes (default: one per core, as a server is run)",
    )  # fmt: skip
    parser.add_argument(
        "--torch-threads", type=int, default=1,
        help="CPU threads per model call, both sides (1 avoids oversubscribing 2 cores)",
    )  # fmt: skip
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help="an indexed data dir to use (default: index the sample into a temp dir)",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--baseline", action=argparse.BooleanOptionalAction, default=True,
        help="first load a server with the per-turn savings off (the ratio's baseline)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    from tests.conftest import free_port  # the same helper the server tests use

    owned = args.data_dir is None
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="answerdesk-load-"))
    try:
        if owned:
            console.print("indexing the sample knowledge base …")
            index_sample(data_dir)
        asked = questions()
        baseline = in_process(data_dir, asked, args.torch_threads)
        port = args.port or free_port()
        phases = []
        if args.baseline:  # the same build with the per-turn savings off, loaded the same way
            with serving(data_dir, port, args, BASELINE_ENV) as base:
                phases.append(run_phase(base, asked, Phase("baseline", args.clients, args.seconds)))
        with serving(data_dir, port, args) as base:
            phases.insert(0, run_phase(base, asked, Phase("sequential", 1, args.single_seconds)))
            phases.append(run_phase(base, asked, Phase("concurrent", args.clients, args.seconds)))
        report(baseline, phases, args)
    finally:
        if owned:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def report(baseline: list[float], phases: list[Phase], args: argparse.Namespace) -> None:
    base_p50 = statistics.median(baseline)
    table = Table(title="load: answerdesk serve (extractive) on loopback")
    for column in ("run", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "p50 ÷ answer() p50"):
        table.add_column(column, justify="right" if column != "run" else "left")
    table.add_row("answer() in-process", "", f"{base_p50:.1f}", f"{pct(baseline, 95)}",
                  f"{pct(baseline, 99)}", "", "1.00")  # fmt: skip
    results = {"answer_in_process": {"p50_ms": round(base_p50, 1), "p95_ms": pct(baseline, 95),
                                     "n": len(baseline)}}  # fmt: skip
    for phase in phases:
        s = phase.summary()
        results[phase.name] = s
        ratio = (s["p50_ms"] or 0) / base_p50 if base_p50 else None
        s["p50_ratio_to_answer"] = round(ratio, 2) if ratio else None
        table.add_row(
            label(phase), f"{s['requests_per_s']}", f"{s['p50_ms']}",
            f"{s['p95_ms']}", f"{s['p99_ms']}", str(sum(phase.errors.values())),
            f"{ratio:.2f}" if ratio else "n/a",
        )  # fmt: skip
    console.print(table)
    by_name = {p.name: p.summary() for p in phases}
    if "baseline" in by_name and "concurrent" in by_name:
        now, before = by_name["concurrent"], by_name["baseline"]
        gain = (now["requests_per_s"] or 0) / (before["requests_per_s"] or 1)
        results["throughput_ratio_to_baseline"] = {"ratio": round(float(gain), 2)}
        p95 = now["p95_ms"] or 0.0
        console.print(
            f"throughput with the per-turn savings ÷ without: {gain:.2f}× (goal ≥ 2×: "
            f"{'met' if gain >= 2 else 'NOT met'}); p95 {p95:.0f} ms (goal ≤ 1000 ms: "
            f"{'met' if p95 <= 1000 else 'NOT met'})"
        )
    load = os.getloadavg()[0]
    console.print(f"machine load average at the end: {load:.2f} (cores: {os.cpu_count()})")
    results["settings"] = {
        "clients": args.clients, "seconds": args.seconds,
        "workers": args.workers, "torch_threads": args.torch_threads,
    }  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(results, indent=2))
    plot(phases, baseline, OUT / "load.png")
    console.print(f"wrote {OUT / 'load.json'} and {OUT / 'load.png'}")


if __name__ == "__main__":
    sys.exit(main())
