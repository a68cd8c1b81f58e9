"""Console push benchmark: how soon a new case reaches an open agents' console.

Indexes the sample knowledge base into a temporary data dir (or uses `--data-dir`), starts
`answerdesk serve` with two workers on loopback, and holds two consoles open side by side:

- push: the live feed (`GET /v1/agent/events`, server-sent events), as the console reads it;
- baseline: the queue polled every 8 s (`GET /v1/agent/cases`), as the console did before.

Customers then hand off one after another (`get me a human`), at random gaps. For each case, the
delay is the time it appeared in each console minus the case's own creation time (one clock:
one machine). Prints p50/p95/max of both and their ratio (goal: push p95 ≤ 1 s); writes
benchmarks/out/console_push.json and a plot. The customers land on either worker, so the feed
is shown to cross processes.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchmarks.load import OUT, console, index_sample, start_server

GOAL_S = 1.0
POLL_S = 8.0  # the console's queue refresh before the live feed


def agent_key(data_dir: Path) -> str:
    import os

    env = {**os.environ, "ANSWERDESK_DATA_DIR": str(data_dir)}
    command = [str(Path(sys.executable).with_name("answerdesk")), "keys", "create", "bench"]
    printed = subprocess.run(
        [*command, "--role", "agent"], env=env, capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"\badk_[A-Za-z0-9_\-]+", printed)
    if not found:
        raise SystemExit(f"no key printed: {printed!r}")
    return found.group(0)


def created_at(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


class Consoles:
    """The two consoles, each recording when it first saw each case (epoch seconds)."""

    def __init__(self, base: str, key: str) -> None:
        self.base, self.headers = base, {"X-API-Key": key}
        self.pushed: dict[int, float] = {}
        self.polled: dict[int, float] = {}
        self.created: dict[int, float] = {}
        self.stop = threading.Event()
        self.ready = threading.Event()

    def listen(self) -> None:
        with (
            httpx.Client(base_url=self.base, timeout=None) as http,
            http.stream("GET", "/v1/agent/events", headers=self.headers) as stream,
        ):
            self.ready.set()
            buffer = ""
            for chunk in stream.iter_text():
                seen = time.time()
                buffer += chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    if "event: case.created" in block:
                        data = json.loads(block.split("data: ", 1)[1])["data"]["case"]
                        self.pushed.setdefault(data["id"], seen)
                        self.created.setdefault(data["id"], created_at(data["created_at"]))
                if self.stop.is_set():
                    return

    def poll(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as http:
            while not self.stop.wait(POLL_S):
                seen = time.time()
                rows = http.get("/v1/agent/cases", headers=self.headers).json()["cases"]
                for row in rows:
                    self.polled.setdefault(row["id"], seen)


def hand_off(base: str, n: int) -> int:
    with httpx.Client(base_url=base, timeout=60) as http:
        chat = http.post("/v1/conversations", json={"customer": {}}).json()
        reply = http.post(
            f"/v1/conversations/{chat['id']}/messages",
            json={"text": f"get me a human please ({n})"},
            headers={"Authorization": f"Bearer {chat['token']}"},
        ).json()
        return int(reply["handoff"]["case_id"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    from tests.conftest import free_port

    owned = args.data_dir is None
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="answerdesk-push-"))
    rng = random.Random(5)
    try:
        if owned:
            console.print("indexing the sample knowledge base …")
            index_sample(data_dir)
        key = agent_key(data_dir)
        port = free_port()
        server = start_server(data_dir, port, 1, 2)
        base = f"http://127.0.0.1:{port}"
        consoles = Consoles(base, key)
        threads = [
            threading.Thread(target=t, daemon=True) for t in (consoles.listen, consoles.poll)
        ]
        for thread in threads:
            thread.start()
        consoles.ready.wait(30)
        try:
            cases = []
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
                task = bar.add_task("hand-offs", total=args.cases)
                for n in range(args.cases):
                    cases.append(hand_off(base, n))
                    bar.advance(task)
                    time.sleep(rng.uniform(0.2, 1.5))
            deadline = time.monotonic() + POLL_S + 5
            while time.monotonic() < deadline and not set(cases) <= set(consoles.polled):
                time.sleep(0.2)
        finally:
            consoles.stop.set()
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        report(cases, consoles)
    finally:
        if owned:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def report(cases: list[int], consoles: Consoles) -> None:
    def delays(seen: dict[int, float]) -> list[float]:
        return [max(seen[c] - consoles.created[c], 0.0) for c in cases if c in seen]

    push, polled = delays(consoles.pushed), delays(consoles.polled)
    missed = [c for c in cases if c not in consoles.pushed]
    table = Table(title=f"console push: {len(cases)} new cases, 2 server workers")
    for column in ("console", "cases seen", "p50 s", "p95 s", "max s"):
        table.add_column(column, justify="left" if column == "console" else "right")
    for name, values in (("live feed (SSE)", push), (f"polling every {POLL_S:.0f} s", polled)):
        table.add_row(
            name, str(len(values)), f"{_p(values, 50):.3f}", f"{_p(values, 95):.3f}",
            f"{max(values):.2f}" if values else "",
        )  # fmt: skip
    console.print(table)
    p95_push, p95_poll = _p(push, 95), _p(polled, 95)
    goal = "met" if not missed and p95_push is not None and p95_push <= GOAL_S else "NOT met"
    console.print(
        f"live feed p95 {p95_push:.3f} s vs polling {p95_poll:.2f} s "
        f"({p95_poll / max(p95_push, 1e-3):.0f}× sooner); missed by the feed: {len(missed)}; "
        f"goal (p95 ≤ {GOAL_S:.0f} s, none missed): {goal}"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    result = {
        "cases": len(cases),
        "push_s": {"p50": _p(push, 50), "p95": p95_push, "max": max(push, default=None)},
        "polling_s": {"p50": _p(polled, 50), "p95": p95_poll, "max": max(polled, default=None)},
        "missed_by_feed": missed,
        "goal_p95_s": GOAL_S,
        "goal_met": goal == "met",
    }
    (OUT / "console_push.json").write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {OUT / 'console_push.json'} and {plot(push, polled)}")


def _p(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 3)


def plot(push: Sequence[float], polled: Sequence[float]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for values, label in ((push, "live feed (SSE)"), (polled, f"polling every {POLL_S:.0f} s")):
        ordered = sorted(values)
        ax.step(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)
    ax.axvline(GOAL_S, color="tab:red", linestyle="--", label=f"goal p95 {GOAL_S:.0f} s")
    ax.set_xlabel("seconds from the case's creation to the console")
    ax.set_ylabel("share of new cases")
    ax.set_title("How soon a new case reaches an open console")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = OUT / "console_push.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    raise SystemExit(main())
