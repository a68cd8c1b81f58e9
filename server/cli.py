"""The `answerdesk` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from assistant.errors import AnswerdeskError
from assistant.manifest import indexed, open_manifest
from assistant.settings import Settings
from server.cli_cases import cases_app
from server.cli_common import console, fail, out, progress_bar, tracker
from server.cli_eval import calibrate_command, eval_command
from server.cli_gate import (
    GOLDEN,
    candidate_command,
    discard_command,
    history_command,
    promote_command,
    run_gated,
)
from server.cli_mail import mail_app
from server.cli_retention import erase_command, purge_command
from server.cli_webhooks import webhooks_app

if TYPE_CHECKING:
    from assistant.store.keys import ApiKeys

app = typer.Typer(help="answerdesk: a self-hosted support assistant.", no_args_is_help=True)
index_app = typer.Typer(
    help="Inspect the search index; decide on a re-index the gate held back.", no_args_is_help=True
)
app.add_typer(index_app, name="index")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Source folders or files.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-embed everything.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 if any file failed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    gate: Annotated[
        bool,
        typer.Option(
            "--gate",
            help="Build the new index beside the live one and make it live only if the golden "
            "set does not get worse (exit 1 when held back).",
        ),
    ] = False,
    golden: Annotated[Path, typer.Option(help="The golden set --gate runs.")] = GOLDEN,
    tolerance: Annotated[float, typer.Option(help="--gate: allowed drop per metric.")] = 0.02,
    limit: Annotated[
        int | None, typer.Option(help="--gate: run only the first N golden cases.")
    ] = None,
) -> None:
    """Index the knowledge base: only new and changed documents are embedded."""
    from ingest.sync import ingest as run_ingest

    if gate:
        run_gated(paths, golden, tolerance, limit, as_json)
        return
    settings = Settings()
    quiet = as_json or dry_run
    with progress_bar(quiet) as bar:
        try:
            report = run_ingest(
                settings,
                paths,
                full=full,
                dry_run=dry_run,
                progress=tracker(bar, "embedding"),
                calibration_progress=tracker(bar, "self-calibration probes"),
            )
        except AnswerdeskError as error:
            raise fail(error) from error
    if as_json:
        out.print_json(json.dumps(report.to_json()))
    else:
        title = "ingest (dry run: nothing written)" if dry_run else "ingest"
        table = Table(title=title)
        for column in ("added", "updated", "unchanged", "deleted", "failed", "chunks", "seconds"):
            table.add_column(column, justify="right")
        table.add_row(
            *(
                str(report.to_json()[c])
                for c in ("added", "updated", "unchanged", "deleted", "failed", "chunks", "seconds")
            )
        )
        out.print(table)
        if report.embedded_chunks:
            out.print(f"embedded {report.embedded_chunks} chunks")
        if report.calibration:
            out.print(
                f"self-calibrated: calibration {report.calibration} "
                f"({report.calibration_seconds:.1f} s; `answerdesk calibrate --show` explains it)"
            )
        elif report.calibration_drift is not None:
            from ingest.sync import REFIT_DRIFT

            out.print(
                f"calibration kept: {report.calibration_drift:.0%} of the documents changed since "
                f"it was fitted (fitted again at {REFIT_DRIFT:.0%}; `answerdesk calibrate` now)"
            )
        for problem in report.errors:
            console.print(f"[yellow]skipped[/yellow] {problem}")
    if strict and report.errors:
        raise typer.Exit(1)


@app.command("triage")
def triage_command(
    learned: Annotated[
        bool, typer.Option(help="Use the learned anger head (loads the embedding model).")
    ] = True,
) -> None:
    """Read JSON lines {"text": ...} or {"turns": [...]} on stdin; write the signals per line."""
    from assistant.anger import AngerDetector
    from assistant.backends import make_embedder
    from assistant.handoff.priority import priority_of, reasons_of
    from assistant.triage import load_policies, triage
    from assistant.types import Turn

    settings = Settings()
    detector = AngerDetector(make_embedder(settings) if learned else None)
    policies = load_policies()
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            texts = item["turns"] if "turns" in item else [item["text"]]
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise ValueError("`turns` must be a list of strings")
            turns = [Turn("user", t) for t in texts]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            print(
                json.dumps(
                    {"line": number, "error": f"expected {{'text'}} or {{'turns'}}: {reason}"}
                )
            )
            continue
        result = triage(turns, detector, policies)
        print(
            json.dumps(
                {
                    "angry": result.angry,
                    "anger": result.anger,
                    "human_requested": result.human_requested,
                    "repeated_failure": result.repeated_failure,
                    "policy": result.policy,
                    "queue": result.queue,
                    "priority": priority_of(result, reasons_of(result)).label,
                    "reasons": result.reasons,
                }
            )
        )


@index_app.command("stats")
def index_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """What is indexed: documents by kind, chunks, model, last sync."""
    settings = Settings()
    if not indexed(settings):
        console.print(f"no index at {settings.index_dir}; run `answerdesk ingest` first")
        raise typer.Exit(1)
    manifest = open_manifest(settings)
    meta, counts = manifest.meta(), manifest.counts()
    stats = {
        "documents": sum(counts.values()),
        "by_kind": counts,
        "chunks": manifest.chunk_count(),
        "embedding_model": meta.get("embedding_name", meta.get("embedding_model")),
        "last_sync": meta.get("last_sync"),
        "index_dir": str(settings.index_dir),
    }
    if as_json:
        out.print_json(json.dumps(stats))
        return
    table = Table(title="index")
    table.add_column("what")
    table.add_column("value", justify="right")
    for kind, n in sorted(counts.items()):
        table.add_row(f"documents: {kind}", str(n))
    for key in ("documents", "chunks", "embedding_model", "last_sync", "index_dir"):
        table.add_row(key, str(stats[key]))
    out.print(table)


# Serving: API keys and the HTTP server

keys_app = typer.Typer(help="API keys of agents and admins.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
DEMO_KEYS = (("demo-agent", "agent"), ("demo-admin", "admin"))


def _api_keys(settings: Settings) -> ApiKeys:
    from assistant.store import database_url, make_engine, upgrade
    from assistant.store.keys import ApiKeys

    engine = make_engine(database_url(settings))
    upgrade(engine)
    return ApiKeys(engine)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="The agent's name (shown on cases and notes).")],
    role: Annotated[str, typer.Option(help="agent or admin (admin can do everything).")] = "agent",
) -> None:
    """Create a key and print it once: only its hash is stored."""
    try:
        new = _api_keys(Settings()).create(name, role)
    except AnswerdeskError as error:
        raise fail(error) from error
    console.print(f"created {new.api_key.role} key {new.api_key.name!r}; it is shown only now:")
    print(new.key)


@keys_app.command("list")
def keys_list(
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked keys.")] = False,
) -> None:
    """The keys: name, role, the key's first characters, when created (and revoked)."""
    try:
        found = _api_keys(Settings()).list_keys(include_revoked=revoked)
    except AnswerdeskError as error:
        raise fail(error) from error
    table = Table(title="API keys")
    for column in ("name", "role", "key starts", "created", "revoked"):
        table.add_column(column)
    for key in found:
        revoked_at = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else ""
        table.add_row(
            key.name, key.role, key.prefix + "…", key.created_at.isoformat(timespec="seconds"),
            revoked_at,
        )  # fmt: skip
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: requests with it are refused from now on."""
    try:
        _api_keys(Settings()).revoke(name)
    except AnswerdeskError as error:
        raise fail(error) from error
    console.print(f"revoked {name!r}")


def demo_keys(keys: ApiKeys) -> dict[str, str]:
    """Fresh demo keys (the old ones revoked: a stored key cannot be shown again)."""
    created = {}
    for name, role in DEMO_KEYS:
        if any(k.name == name for k in keys.list_keys()):
            keys.revoke(name)
        created[name] = keys.create(name, role).key
    return created


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Create and print demo agent and admin keys.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the chat API, the widget and the agent console over HTTP."""
    import uvicorn

    from server.limits import MAX_HEADER_BYTES
    from server.metrics import MULTIPROCESS, shared_folder

    settings = Settings()
    try:
        found = indexed(settings)
    except AnswerdeskError as error:  # the shared index's database is down: start, not ready
        console.print(f"[yellow]warning:[/yellow] {error.message}; serving once it answers")
        found = True
    if not found:
        console.print(f"no index at {settings.index_dir}; run `answerdesk ingest` first")
        raise typer.Exit(1)
    if workers > 1 and not settings.chroma_url:
        console.print(
            "[yellow]warning:[/yellow] with several workers, set ANSWERDESK_CHROMA_URL to a "
            "Chroma server: the embedded index is per process, so a re-index through the API "
            "reaches only one worker."
        )
    if workers > 1:  # /metrics sums every worker's counts, kept in files of this folder
        shared_folder(Path(os.environ.get(MULTIPROCESS) or settings.data_dir / "metrics"))
    base = f"http://{host}:{port}"
    if demo:
        try:
            keys = demo_keys(_api_keys(settings))
        except AnswerdeskError as error:
            raise fail(error) from error
        out.print(f"demo product page with the widget: {base}/")
        out.print(f"agent console: {base}/agent")
        for name, key in keys.items():
            out.print(f"{name} key: {key}")
    out.print(f"API docs: {base}/docs")
    uvicorn.run(
        "server.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        # h11 refuses a header block over the limit while reading it (httptools, uvicorn's
        # default when installed, has no limit: a 16 MB header was read whole and answered).
        http="h11",
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )


@app.command()
def worker() -> None:
    """Run queued jobs (re-indexing) until stopped: ANSWERDESK_JOBS=queue on the serving nodes."""
    import logging
    import signal
    import threading

    from server.jobs import work

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    settings = Settings()
    if not settings.redis_url:
        console.print("answerdesk worker needs ANSWERDESK_REDIS_URL: the queue is in Redis")
        raise typer.Exit(2)
    stop = threading.Event()
    for name in (signal.SIGTERM, signal.SIGINT):
        signal.signal(name, lambda *_: stop.set())
    out.print(f"answerdesk worker: consuming the job queue at {settings.redis_url}")
    work(settings, stop)


app.command("eval")(eval_command)
app.command("calibrate")(calibrate_command)
app.command("purge")(purge_command)
app.command("erase")(erase_command)
app.add_typer(cases_app, name="cases")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(mail_app, name="mail")
index_app.command("candidate")(candidate_command)
index_app.command("promote")(promote_command)
index_app.command("discard")(discard_command)
index_app.command("history")(history_command)


def main() -> None:  # pragma: no cover - console-script entry
    sys.exit(app())
