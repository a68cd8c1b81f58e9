"""Webhooks on SQLAlchemy: subscriptions, the delivery log, and the leases workers take on due
deliveries (values and rules in `webhooks.py`; events are written by `outbox.py`).

Leasing marks a due delivery as being sent until `lease_until`: two workers (two server
processes, or a server and `answerdesk webhooks deliver`) never send it at once, and a worker
that dies mid-delivery only delays it until the lease runs out. On PostgreSQL the due rows are
locked with SKIP LOCKED; SQLite runs one writer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple, cast

from sqlalchemy import Row, Select, or_, select, update
from sqlalchemy.orm import Session

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.conversations import SqlConversationStore
from assistant.store.events import Event, to_event
from assistant.store.models import Base, DeliveryRow, EventRow, WebhookRow
from assistant.store.webhooks import (
    Delivery,
    DeliveryStatus,
    NewWebhook,
    Target,
    Webhook,
    description_of,
    events_of,
    format_of,
    priorities_of,
    secret_of,
    to_delivery,
    to_webhook,
    url_of,
)

MAX_ERROR = 500
Ts = TypeVarTuple("Ts")


class SqlWebhooks(SqlConversationStore):
    """The `WebhookOutbox` on the conversation store's engine (`SqlCaseStore` builds on it)."""

    # Subscriptions

    def add_webhook(
        self,
        url: str,
        events: Sequence[str],
        *,
        format: str = "json",
        priorities: Sequence[str] = (),
        description: str = "",
        secret: str | None = None,
    ) -> NewWebhook:
        row = WebhookRow(
            url=url_of(url),
            events=list(events_of(events)),
            format=format_of(format),
            priorities=list(priorities_of(priorities)),
            secret=secret_of(secret),
            description=description_of(description),
            created_at=self._now(),
            failures=0,
            paused_reason="",
        )
        with self._session(write=True) as session:
            session.add(row)
            session.flush()
            return NewWebhook(to_webhook(row), row.secret)

    def webhooks(self) -> list[Webhook]:
        with self._session() as session:
            rows = session.scalars(
                select(WebhookRow).where(WebhookRow.removed_at.is_(None)).order_by(WebhookRow.id)
            )
            return [to_webhook(row) for row in rows]

    def webhook(self, webhook_id: int) -> Webhook:
        with self._session() as session:
            return to_webhook(self._webhook_row(session, webhook_id))

    def webhook_target(self, webhook_id: int) -> Target:
        with self._session() as session:
            row = self._webhook_row(session, webhook_id)
            return Target(row.url, format_of(row.format), row.secret)

    def remove_webhook(self, webhook_id: int) -> Webhook:
        """Nothing more is sent to it; what still waited is marked failed, so the log says so."""
        with self._session(write=True) as session:
            row = self._webhook_row(session, webhook_id)
            row.removed_at = self._now()
            session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.webhook_id == webhook_id, DeliveryRow.status == "pending")
                .values(
                    status="failed", last_error="the subscription was removed", lease_until=None
                )
                .execution_options(synchronize_session=False)
            )
            return to_webhook(row)

    def resume_webhook(self, webhook_id: int) -> Webhook:
        """Back to active; the deliveries that waited while it was paused are due now."""
        now = self._now()
        with self._session(write=True) as session:
            row = self._webhook_row(session, webhook_id)
            row.paused_at, row.paused_reason, row.failures = None, "", 0
            session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.webhook_id == webhook_id, DeliveryRow.status == "pending")
                .values(next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
            return to_webhook(row)

    def _webhook_row(self, session: Session, webhook_id: int) -> WebhookRow:
        row = session.get(WebhookRow, webhook_id)
        if row is None or row.removed_at is not None:
            raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No webhook {webhook_id}.")
        return row

    # Deliveries

    def lease_deliveries(self, limit: int, lease: timedelta) -> list[tuple[Delivery, Target]]:
        """Up to `limit` due deliveries of active subscriptions, oldest first, leased to the
        caller until `lease` from now."""
        now = self._now()
        due = (
            select(DeliveryRow, WebhookRow, EventRow)
            .join(WebhookRow, WebhookRow.id == DeliveryRow.webhook_id)
            .join(EventRow, EventRow.id == DeliveryRow.event_id)
            .where(
                DeliveryRow.status == "pending",
                DeliveryRow.next_attempt_at <= now,
                or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now),
                WebhookRow.paused_at.is_(None),
                WebhookRow.removed_at.is_(None),
            )
            .order_by(DeliveryRow.id)
            .limit(limit)
        )
        return [
            (
                to_delivery(delivery, to_event(event)),
                Target(hook.url, format_of(hook.format), hook.secret),
            )
            for delivery, hook, event in self._lease(due, DeliveryRow, now + lease)
        ]

    def _lease(self, due: Select[*Ts], table: type[Base], until: datetime) -> list[Row[*Ts]]:
        """The rows of `due` (its first entity a row of `table`), leased until `until`: locked
        past other workers' (SKIP LOCKED), their `lease_until` set, in one transaction."""
        with self._session() as session:  # most polls find nothing: no write lock for that
            if session.execute(due.limit(1)).first() is None:
                return []
        with self._session(write=True) as session:
            rows = list(session.execute(due.with_for_update(skip_locked=True, of=table)))
            for row in rows:
                first = cast(Any, row)[0]  # a `table` row: the query's first entity
                first.lease_until = until
            return rows

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        status: int | None,
        error: str = "",
        retry_at: datetime | None = None,
        pause_after: int = 0,
    ) -> Delivery:
        """Record one attempt: delivered on a 2xx `status`; else due again at `retry_at`, or
        failed for good without one. `pause_after` failures in a row pause the subscription."""
        ok = status is not None and 200 <= status < 300
        now = self._now()
        with self._session(write=True) as session:
            row = session.get(DeliveryRow, delivery_id, with_for_update=True)
            if row is None:
                raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No delivery {delivery_id}.")
            row.attempts += 1
            row.last_status, row.last_error = status, error[:MAX_ERROR]
            row.lease_until = None
            hook = session.get(WebhookRow, row.webhook_id, with_for_update=True)
            assert hook is not None  # a delivery's subscription row is never deleted
            if ok:
                row.status, row.delivered_at, hook.failures = "delivered", now, 0
            else:
                row.status = "pending" if retry_at is not None else "failed"
                row.next_attempt_at = retry_at or row.next_attempt_at
                hook.failures += 1
                if pause_after and hook.failures >= pause_after and hook.paused_at is None:
                    hook.paused_at = now
                    hook.paused_reason = (
                        f"{hook.failures} delivery attempts failed in a row; the last: "
                        f"{error or f'HTTP {status}'}"
                    )[:MAX_ERROR]
            session.flush()
            return to_delivery(row, to_event(session.get_one(EventRow, row.event_id)))

    def deliveries(
        self,
        *,
        webhook_id: int | None = None,
        status: DeliveryStatus | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """The delivery log, newest first."""
        if not 1 <= limit <= 1000:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, "limit is 1 to 1000.")
        query = select(DeliveryRow, EventRow).join(EventRow, EventRow.id == DeliveryRow.event_id)
        if webhook_id is not None:
            query = query.where(DeliveryRow.webhook_id == webhook_id)
        if status is not None:
            query = query.where(DeliveryRow.status == status)
        with self._session() as session:
            rows = session.execute(query.order_by(DeliveryRow.id.desc()).limit(limit)).tuples()
            return [to_delivery(d, to_event(e)) for d, e in rows]

    def replay_delivery(self, delivery_id: int) -> Delivery:
        """Send a delivery again (delivered or failed): due now, attempts counted afresh."""
        with self._session(write=True) as session:
            row = session.get(DeliveryRow, delivery_id, with_for_update=True)
            if row is None:
                raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No delivery {delivery_id}.")
            self._webhook_row(session, row.webhook_id)  # not for a removed subscription
            row.status, row.attempts, row.next_attempt_at = "pending", 0, self._now()
            row.lease_until, row.delivered_at = None, None
            session.flush()
            return to_delivery(row, to_event(session.get_one(EventRow, row.event_id)))

    # The event stream (the agents' console)

    def events_after(self, after: int, limit: int = 100) -> list[Event]:
        with self._session() as session:
            rows = session.scalars(
                select(EventRow).where(EventRow.id > after).order_by(EventRow.id).limit(limit)
            )
            return [to_event(row) for row in rows]

    def last_event_id(self) -> int:
        with self._session() as session:
            return session.scalars(select(EventRow.id).order_by(EventRow.id.desc())).first() or 0
