"""Nodes benchmark: two `answerdesk serve` nodes on shared engines against one node with two
workers on the same engines, and how soon a commit made through one node is served by the other.

The sample knowledge base is indexed into the shared engines: a fresh schema of the PostgreSQL
at `--postgres` (the manifest and the keyword index, beside the conversations), a `chroma run`
on loopback (the vectors) and a Redis database emptied first (`--redis`: rate limits and the job
queue). Then, on this machine:

- one node, `--workers 2`: N clients (default 32) for S seconds (the baseline);
- two nodes, one worker each, the same N clients spread over both as a balancer would: the
  throughput ratio two nodes ÷ one node (goal ≥ 0.9: sharing state through PostgreSQL and
  Redis costs little);
- commit → served: an article is added and re-indexed through node A's admin API (the job runs
  in an `answerdesk worker`), and node B is asked about it every 0.1 s until its answer cites
  it: seconds from the job's end (goal ≤ 5 s).

Both layouts run two serving processes on the same 2 cores, so the ratio isolates the cost of
the second node's separate state, not extra hardware. Writes benchmarks/out/nodes.json and
benchmarks/out/nodes.png.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis
from rich.console import Console
from rich.table import Table

from benchmarks.dashboard import POSTGRES, postgres_schema
from benchmarks.load import Phase, questions, run_phase
from tests.conftest import free_port
from tests.server.nodes import NEW_ARTICLE, create_key

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
SAMPLE = REPO / "data" / "sample"
ANSWERDESK = str(Path(sys.executable).with_name("answerdesk"))
GOAL_RATIO, GOAL_SECONDS = 0.9, 5.0
console = Console(width=None if sys.stdout.isatty() else 132)


@contextmanager
def process(command: list[str], env: dict[str, str], log: Path, ready: str) -> Iterator[None]:
    """A process that is ready when `ready` (a URL) answers, or its log contains `ready`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            if ready.startswith("http"):
                try:
                    httpx.get(ready, timeout=1)
                    break
                except httpx.HTTPError:
                    pass
            elif ready in log.read_text():
                break
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{command[:2]} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield
    finally:
        child.terminate()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()


def node(env: dict[str, str], home: Path, workers: int, stack: ExitStack) -> str:
    port = free_port()
    command = [ANSWERDESK, "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    stack.enter_context(process(command, env, home / f"serve-{port}.log", f"{url}/readyz"))
    return url


def commit_to_served(a: str, b: str, env: dict[str, str], kb: Path) -> dict[str, float]:
    """Re-index a new article through node A; seconds until node B's answer cites it."""
    (kb / "articles" / "quillbox.md").write_text(NEW_ARTICLE)
    headers = {"X-API-Key": create_key(env, kb.parent, "bench-admin", "admin")}
    with httpx.Client(timeout=30) as client:
        asked = time.monotonic()
        job = client.post(f"{a}/v1/admin/reindex", headers=headers).json()["job"]
        while (status := client.get(f"{a}/v1/admin/reindex/{job}", headers=headers).json())[
            "status"
        ] == "running":
            time.sleep(0.1)
        if status["status"] != "done":
            raise SystemExit(f"the re-index failed: {status}")
        done = time.monotonic()
        while time.monotonic() - done < 60:
            chat = client.post(f"{b}/v1/conversations", json={}).json()
            turn = client.post(
                f"{b}/v1/conversations/{chat['id']}/messages",
                json={"text": "How do I send receipts to Quillbox?"},
                headers={"Authorization": f"Bearer {chat['token']}"},
            ).json()
            if "quillbox" in json.dumps(turn.get("citations", [])):
                return {
                    "job_seconds": done - asked,
                    "served_after_seconds": time.monotonic() - done,
                }
            time.sleep(0.1)
    raise SystemExit("node B never served the new article")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--postgres", default=POSTGRES, help="PostgreSQL URL (a schema is made)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="emptied first")
    args = parser.parse_args(argv)
    try:
        redis.Redis.from_url(args.redis, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        console.print(f"[red]not measured: no Redis at {args.redis} ({exc})")
        return 1
    root = Path(tempfile.mkdtemp(prefix="answerdesk-nodes-"))
    try:
        with postgres_schema(args.postgres) as database, ExitStack() as stack:
            return measure(args, root, database, stack)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def measure(args: argparse.Namespace, root: Path, database: str, stack: ExitStack) -> int:
    chroma = f"http://127.0.0.1:{(port := free_port())}"
    stack.enter_context(process(
        [str(Path(sys.executable).with_name("chroma")), "run", "--path", str(root / "chroma"),
         "--host", "127.0.0.1", "--port", str(port)],
        dict(os.environ), root / "chroma.log", f"{chroma}/api/v2/heartbeat",
    ))  # fmt: skip
    kb = root / "kb"
    for folder in ("articles", "faqs", "cases"):
        shutil.copytree(SAMPLE / folder, kb / folder)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSWERDESK_")}
    shared = clean | {
        "ANSWERDESK_DATABASE_URL": database, "ANSWERDESK_CHROMA_URL": chroma,
        "ANSWERDESK_SHARED_INDEX": "true",
        "ANSWERDESK_REDIS_URL": args.redis, "ANSWERDESK_JOBS": "queue",
        "ANSWERDESK_SOURCES": f'["{kb}"]', "ANSWERDESK_TORCH_THREADS": "1",
        "ANSWERDESK_RATE_LIMIT_CONVERSATION_PER_MINUTE": "1000000",
        "ANSWERDESK_RATE_LIMIT_IP_PER_MINUTE": "1000000",
    }  # fmt: skip
    homes = {name: root / name for name in ("a", "b", "worker")}
    envs = {n: shared | {"ANSWERDESK_DATA_DIR": str(home / "data")} for n, home in homes.items()}
    console.print("indexing the sample knowledge base into the shared engines …")
    subprocess.run([ANSWERDESK, "ingest"], env=envs["a"], check=True, capture_output=True)
    asked = questions()

    with ExitStack() as one:
        url = node(envs["a"], homes["a"], 2, one)
        single = run_phase(url, asked, Phase("one node, 2 workers", args.clients, args.seconds))
    with ExitStack() as two:
        a, b = node(envs["a"], homes["a"], 1, two), node(envs["b"], homes["b"], 1, two)
        pair = run_phase([a, b], asked, Phase("two nodes", args.clients, args.seconds))
        two.enter_context(
            process(
                [ANSWERDESK, "worker"],
                envs["worker"],
                homes["worker"] / "worker.log",
                "consuming the job queue",
            )
        )
        commit = commit_to_served(a, b, envs["a"], kb)
    report(single, pair, commit)
    return 0


def report(single: Phase, pair: Phase, commit: dict[str, float]) -> None:
    one, two = single.summary(), pair.summary()
    ratio = (two["requests_per_s"] or 0) / (one["requests_per_s"] or 1)
    table = Table(title="nodes: shared PostgreSQL, Chroma server and Redis, on 2 cores")
    for column in ("layout", "clients", "req/s", "p50 ms", "p95 ms", "errors"):
        table.add_column(column, justify="left" if column == "layout" else "right")
    for phase, s in ((single, one), (pair, two)):
        table.add_row(phase.name, str(s["clients"]), str(s["requests_per_s"]), str(s["p50_ms"]),
                      str(s["p95_ms"]), str(sum(phase.errors.values())))  # fmt: skip
    console.print(table)
    served = commit["served_after_seconds"]
    console.print(
        f"throughput two nodes ÷ one node with two workers: {ratio:.2f}× (goal ≥ {GOAL_RATIO}: "
        f"{'met' if ratio >= GOAL_RATIO else 'NOT met'})\n"
        f"a commit through node A (re-index job {commit['job_seconds']:.1f} s in the worker) was "
        f"served by node B {served:.2f} s after the job ended (goal ≤ {GOAL_SECONDS:.0f} s: "
        f"{'met' if served <= GOAL_SECONDS else 'NOT met'})"
    )
    results: dict[str, Any] = {"one_node": one, "two_nodes": two, "ratio": round(ratio, 3),
                               "commit": commit}  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "nodes.json").write_text(json.dumps(results, indent=2))
    plot(single, pair, OUT / "nodes.png")
    console.print(f"wrote {OUT / 'nodes.json'} and {OUT / 'nodes.png'}")


def plot(single: Phase, pair: Phase, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = [single.name, pair.name]
    left.bar(
        names, [single.summary()["requests_per_s"] or 0, pair.summary()["requests_per_s"] or 0]
    )
    left.set(ylabel="requests/s", title="throughput")
    right.boxplot([single.latencies or [0], pair.latencies or [0]], showfliers=False)
    right.set_xticks([1, 2], names)
    right.set(ylabel="latency (ms)", yscale="log", title="message latency")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
