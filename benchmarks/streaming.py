"""Streaming benchmark: how soon the customer reads the first sentence of a language-model answer.

Starts the real llama.cpp OpenAI-compatible server on loopback with the bundled model (as the
tests do), indexes the sample knowledge base with the real pipeline, and asks golden questions
through `SupportAssistant.answer()` with the `openai` backend, twice each:
- baseline: no sentence sink, the answer is generated whole (what a customer waited for before);
- streamed: with a sink, timing the first checked sentence and the end of the answer.
The baseline pass runs first, then the streamed pass, in the same order: the server reuses the
prompt prefix it evaluated last, so asking the same question twice in a row would flatter the
second run.

Prints median and p90 of each, and the ratio first sentence ÷ full answer (per question, then
the median; goal ≤ 0.40). Time to the first sentence includes retrieval and the model reading
the prompt, which streaming cannot shorten: the time to the model's first token is printed
beside it, so the share of the wait that is prompt reading is measured, not guessed. Writes
benchmarks/out/streaming.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.backends import make_embedder
from assistant.backends.llama_local import bundled_model_path
from assistant.ports import ChatModel
from assistant.service import SupportAssistant
from assistant.settings import Settings
from assistant.types import Draft, GenerationRequest, Message
from evals.golden import load_golden

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
OUT = REPO / "benchmarks" / "out"
MODELS = REPO / ".answerdesk" / "models"  # where the local backend assembles the bundled GGUF
GOAL_RATIO = 0.40
console = Console(width=None if sys.stdout.isatty() else 132)


@dataclass(frozen=True)
class Timing:
    question: str
    baseline_s: float  # the whole answer, not streamed
    first_s: float | None  # the first streamed sentence; None: nothing passed the check
    full_s: float  # the whole answer, streamed
    token_s: float | None  # the model's first token (it has read the prompt), streamed
    sentences: int
    answered: bool  # confident enough to be shown (else the customer reads "not sure")

    @property
    def ratio(self) -> float | None:
        return None if self.first_s is None else self.first_s / self.full_s


def questions(count: int) -> list[str]:
    """`count` answerable single-message golden questions, spread over the set."""
    cases = [c for c in load_golden(SAMPLE / "golden.yaml") if c.answerable and c.question]
    step = max(1, len(cases) // count)
    return [str(c.question) for c in cases[::step][:count]]


class FirstToken:
    """The chat model, timing its stream's first piece from the request (time since `mark`)."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.name = model.name
        self.started = 0.0
        self.first: float | None = None

    def mark(self) -> None:
        self.started, self.first = time.perf_counter(), None

    def generate(self, request: GenerationRequest) -> Draft:
        return self.model.generate(request)

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        return self.model.complete(messages, max_tokens)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        for piece in self.model.stream(request):
            if self.first is None:
                self.first = time.perf_counter() - self.started
            yield piece


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(model: Path, threads: int, log: Path) -> Iterator[str]:
    """The llama.cpp server on loopback serving `model` as "bundled"; yields its base URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--model_alias", "bundled", "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", str(threads),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    message = f"the llama.cpp server did not start:\n{log.read_text()}"
                    raise SystemExit(message) from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def measure(assistant: SupportAssistant, asked: Sequence[str]) -> list[Timing]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    baseline: list[float] = []
    timings: list[Timing] = []
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("warm-up", total=1)
        assistant.answer(asked[-1])  # loads the embedder's caches and the server's weights
        bar.advance(task)
        task = bar.add_task("baseline: whole answers", total=len(asked))
        for q in asked:
            started = time.perf_counter()
            assistant.answer(q)
            baseline.append(time.perf_counter() - started)
            bar.advance(task)
        task = bar.add_task("streamed: sentences as they pass", total=len(asked))
        for q, whole in zip(asked, baseline, strict=True):
            timings.append(streamed(assistant, q, whole))
            bar.advance(task)
    return timings


def streamed(assistant: SupportAssistant, question: str, baseline_s: float) -> Timing:
    arrivals: list[float] = []
    model = assistant.chat_model
    assert isinstance(model, FirstToken)
    started = time.perf_counter()
    model.mark()
    answer = assistant.answer(
        question, on_sentence=lambda _: arrivals.append(time.perf_counter() - started)
    )
    full = time.perf_counter() - started
    first = arrivals[0] if arrivals else None
    return Timing(
        question, baseline_s, first, full, model.first, len(arrivals), not answer.needs_handoff
    )


def stats(values: Sequence[float]) -> tuple[float, float]:
    return float(statistics.median(values)), float(np.percentile(values, 90))


def report(
    timings: list[Timing], settings: Settings, load: tuple[float, float, float]
) -> dict[str, object]:
    with_first = [t for t in timings if t.first_s is not None]
    rows = [
        ("baseline: whole answer, not streamed", [t.baseline_s for t in timings]),
        ("streamed: the model's first token", [t.token_s for t in timings if t.token_s]),
        ("streamed: first sentence", [t.first_s for t in with_first if t.first_s is not None]),
        ("streamed: whole answer", [t.full_s for t in timings]),
    ]
    table = Table(
        title=f"time to answer, {len(timings)} golden questions, openai backend → llama.cpp "
        f"server, bundled model, max {settings.llm_max_tokens} tokens"
    )
    for header in ("", "n", "median s", "p90 s"):
        table.add_column(header, justify="right" if header else "left")
    for name, values in rows:
        median, p90 = stats(values) if values else (float("nan"), float("nan"))
        table.add_row(name, str(len(values)), f"{median:.2f}", f"{p90:.2f}")
    console.print(table)

    ratios = [t.ratio for t in with_first if t.ratio is not None]
    versus = [t.first_s / t.baseline_s for t in with_first if t.first_s is not None]
    ratio = statistics.median(ratios) if ratios else None
    ratio_p90 = float(np.percentile(ratios, 90)) if ratios else None
    to_baseline = statistics.median(versus) if versus else None
    reading = [t.token_s / t.full_s for t in timings if t.token_s is not None]
    prompt_share = statistics.median(reading) if reading else None
    summary: dict[str, object] = {
        "questions": len(timings),
        "streamed": len(with_first),
        "ratio_first_to_full_median": ratio,
        "ratio_first_to_full_p90": ratio_p90,
        "ratio_first_to_baseline_median": to_baseline,
        "ratio_first_token_to_full_median": prompt_share,
        "goal_ratio": GOAL_RATIO,
        "load_average": load,
    }
    table = Table(title="first streamed sentence ÷ whole answer (per question)")
    headers = (
        "question",
        "baseline s",
        "token s",
        "first s",
        "whole s",
        "first ÷ whole",
        "sentences",
    )
    for header in headers:
        table.add_column(header, justify="left" if header == "question" else "right")
    for t in timings:
        table.add_row(
            t.question[:48],
            f"{t.baseline_s:.2f}",
            "—" if t.token_s is None else f"{t.token_s:.2f}",
            "—" if t.first_s is None else f"{t.first_s:.2f}",
            f"{t.full_s:.2f}",
            "—" if t.ratio is None else f"{t.ratio:.2f}",
            str(t.sentences),
        )
    console.print(table)
    if ratio is not None and ratio_p90 is not None and to_baseline is not None:
        verdict = "meets" if ratio <= GOAL_RATIO else "misses"
        console.print(
            f"first sentence at {ratio:.0%} of the whole answer (median; p90 {ratio_p90:.0%}), "
            f"{to_baseline:.0%} of the non-streamed baseline: {verdict} the goal ≤ "
            f"{GOAL_RATIO:.0%}"
        )
    if prompt_share is not None:
        console.print(
            f"the model's first token (retrieval and reading the prompt) comes at "
            f"{prompt_share:.0%} of the whole answer (median): no sentence can come sooner"
        )
    console.print(f"load average while measuring: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    from ingest.sync import Indexer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=Settings().llm_max_tokens)
    parser.add_argument("--threads", type=int, default=2, help="the llama.cpp server's threads")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the sample's index here (a re-run only checks it is current); default: a "
        "temporary folder",
    )
    args = parser.parse_args(argv)
    try:
        import llama_cpp.server.app  # noqa: F401  (the `llm` extra, with its server)
    except Exception as exc:  # ImportError, or OSError when libllama cannot load
        console.print(f"needs the local LLM: run `make setup-llm` first ({exc})")
        return 2
    asked = questions(args.questions)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = Settings(data_dir=args.data_dir or work / "data", sources=[SAMPLE])
        with Progress(TextColumn("{task.description}"), BarColumn(), console=console) as bar:
            task = bar.add_task("indexing the sample knowledge base", total=None)
            embedder = make_embedder(settings)
            indexer = Indexer(settings, embedder)
            indexer.sync(progress=lambda d, t: bar.update(task, completed=d, total=t))
            indexer.close()
            bar.update(task, description="assembling the bundled model")
            model = bundled_model_path(MODELS)
        with llama_server(model, args.threads, work / "llama.log") as url:
            settings = settings.model_copy(
                update={
                    "chat_backend": "openai",
                    "openai_base_url": url,
                    "openai_model": "bundled",
                    "llm_max_tokens": args.max_tokens,
                    "llm_timeout_seconds": 300,
                    "llm_max_retries": 0,
                }
            )
            assistant = SupportAssistant.from_settings(settings, embedder)
            assistant.chat_model = FirstToken(assistant.chat_model)
            timings = measure(assistant, asked)
            load = os.getloadavg()
            assistant.index.close()
    summary = report(timings, settings, load)
    result = {**summary, "max_tokens": args.max_tokens, "timings": [asdict(t) for t in timings]}
    (OUT / "streaming.json").write_text(json.dumps(result, indent=2))
    console.print(f"wrote {OUT / 'streaming.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
