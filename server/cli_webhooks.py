"""`answerdesk webhooks`: subscriptions, their delivery log, and a delivery worker of its own.

    answerdesk webhooks add URL --event case.created [--event …] [--slack] [--priority urgent]
    answerdesk webhooks list [--json]
    answerdesk webhooks remove ID
    answerdesk webhooks test ID                    a signed test event, sent now
    answerdesk webhooks resume ID                  a paused subscription: what waited is sent
    answerdesk webhooks deliveries [--webhook ID] [--status failed] [--json]
    answerdesk webhooks replay DELIVERY_ID
    answerdesk webhooks deliver [--once]           the delivery worker, outside the server

`answerdesk serve` delivers by itself; `deliver` is for a worker process of its own (with
ANSWERDESK_WEBHOOK_DELIVERY=false on the servers, or beside them: leases keep them apart).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.table import Table

from assistant.settings import Settings
from server.cli_common import case_store, console, out

if TYPE_CHECKING:
    from assistant.store.webhooks import Delivery, DeliveryStatus, Webhook

webhooks_app = typer.Typer(
    help="Webhooks: subscribe URLs to case, message and feedback events.", no_args_is_help=True
)
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON lines.")]


def _hook_row(hook: Webhook) -> dict[str, object]:
    return {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events),
        "format": hook.format,
        "priorities": list(hook.priorities),
        "status": hook.status,
        "failures": hook.failures,
        "paused_reason": hook.paused_reason,
        "secret_hint": hook.secret_hint,
    }


def _delivery_row(delivery: Delivery) -> dict[str, object]:
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event.key,
        "event_type": delivery.event.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at.isoformat(timespec="seconds"),
    }


def _print(rows: list[dict[str, object]], title: str, as_json: bool) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table(title=title)
    for column in rows[0] if rows else ("(none)",):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            *(", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in row.values())
        )
    out.print(table)


@webhooks_app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="Where to POST the events.")],
    event: Annotated[
        list[str],
        typer.Option(
            "--event",
            help="case.created, case.updated, case.claimed, case.resolved, "
            "message.created or feedback.created; repeat for several.",
        ),
    ],
    slack: Annotated[bool, typer.Option(help="Send Slack incoming-webhook messages.")] = False,
    priority: Annotated[
        list[str] | None,
        typer.Option("--priority", help="Case events only at this priority (repeatable)."),
    ] = None,
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
) -> None:
    """Subscribe a URL; prints the signing secret (shown only now)."""
    from assistant.webhooks.sender import check_reachable

    with case_store() as store:
        check_reachable(url.strip(), Settings().webhook_allow_private)
        new = store.add_webhook(
            url, event, format="slack" if slack else "json", priorities=priority or [],
            description=description,
        )  # fmt: skip
    console.print(f"webhook {new.webhook.id} added; its signing secret is shown only now:")
    out.print(new.secret)


@webhooks_app.command("list")
def list_command(as_json: AsJson = False) -> None:
    """The subscriptions, with their status and failures in a row."""
    with case_store() as store:
        rows = [_hook_row(h) for h in store.webhooks()]
    _print(rows, "webhooks", as_json)


@webhooks_app.command("remove")
def remove_command(webhook_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Remove a subscription; what still waited for it is not sent."""
    with case_store() as store:
        store.remove_webhook(webhook_id)
    console.print(f"removed webhook {webhook_id}")


@webhooks_app.command("resume")
def resume_command(webhook_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Resume a paused subscription: what waited is sent."""
    with case_store() as store:
        store.resume_webhook(webhook_id)
    console.print(f"resumed webhook {webhook_id}")


@webhooks_app.command("test")
def test_command(webhook_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Send a signed test event now and print what the receiver answered."""
    from assistant.webhooks.bodies import ping
    from assistant.webhooks.sender import Sender

    settings = Settings()
    with case_store() as store:
        target = store.webhook_target(webhook_id)
    sender = Sender(settings.webhook_timeout_seconds, settings.webhook_allow_private)
    try:
        sent = sender.send(target, ping())
    finally:
        sender.close()
    if not sent.ok:
        console.print(f"[red]not delivered[/red] ({sent.seconds:.2f} s): {sent.error}")
        raise typer.Exit(1)
    out.print(f"delivered: HTTP {sent.status} in {sent.seconds:.2f} s")


@webhooks_app.command("deliveries")
def deliveries_command(
    webhook: Annotated[int | None, typer.Option(min=1, help="One subscription's.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, delivered or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: AsJson = False,
) -> None:
    """The delivery log, newest first."""
    if status not in (None, "pending", "delivered", "failed"):
        raise typer.BadParameter("--status is pending, delivered or failed")
    with case_store() as store:
        wanted = cast("DeliveryStatus | None", status)
        found = store.deliveries(webhook_id=webhook, status=wanted, limit=limit)
    _print([_delivery_row(d) for d in found], "deliveries", as_json)


@webhooks_app.command("replay")
def replay_command(delivery_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Send a delivery again (same event id: receivers deduplicate)."""
    with case_store() as store:
        store.replay_delivery(delivery_id)
    console.print(f"delivery {delivery_id} is due again")


@webhooks_app.command("deliver")
def deliver_command(
    once: Annotated[bool, typer.Option(help="Send what is due now, then stop.")] = False,
) -> None:
    """Run the delivery worker in the foreground (Ctrl-C stops it)."""
    from assistant.webhooks.worker import DeliveryWorker

    settings = Settings()
    with case_store() as store:
        worker = DeliveryWorker.from_settings(settings, store)
        try:
            if once:
                sent = 0
                while done := worker.run_once():
                    sent += done
                console.print(f"{sent} delivery attempts made")
            else:
                console.print("delivering webhooks; Ctrl-C stops")
                worker.run(settings.webhook_poll_seconds)
        except KeyboardInterrupt:
            pass
        finally:
            worker.close()
