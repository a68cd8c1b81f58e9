"""The delivery worker: leases due deliveries, sends them, and records each attempt.

Runs as a thread of each server process (`webhook_delivery`, on by default) or on its own
(`answerdesk webhooks deliver`); several at once share the work through the store's leases, and
a slow receiver only ever holds a worker, never a customer's request. A failed attempt is tried
again after an exponential backoff with jitter, up to `webhook_max_attempts`; a subscription
failing `webhook_pause_after` times in a row is paused, and the log says why.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from assistant.polling import Poller
from assistant.webhooks.sender import Sender

if TYPE_CHECKING:
    from assistant.settings import Settings
    from assistant.store.webhooks import WebhookOutbox

log = logging.getLogger("answerdesk.webhooks")
LEASE_MARGIN = timedelta(seconds=5)  # beyond twice the send timeout: a lease outlives its attempt


def retry_delay(failed: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after `failed` attempts: doubling from `base` up to `cap`, drawn between
    half and all of that, so receivers coming back up are not hit by every retry at once."""
    ceiling = min(cap, base * 2 ** max(failed - 1, 0))
    return rng.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class Policy:
    timeout: float = 10.0
    max_attempts: int = 10
    backoff: float = 10.0
    backoff_cap: float = 3600.0
    pause_after: int = 20
    batch: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            settings.webhook_timeout_seconds,
            settings.webhook_max_attempts,
            settings.webhook_backoff_seconds,
            settings.webhook_backoff_cap_seconds,
            settings.webhook_pause_after,
        )


class DeliveryWorker:
    def __init__(
        self,
        store: WebhookOutbox,
        sender: Sender,
        policy: Policy,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.policy = policy
        self._rng = rng or random.Random()
        self._poller: Poller | None = None

    @classmethod
    def from_settings(cls, settings: Settings, store: WebhookOutbox) -> DeliveryWorker:
        sender = Sender(
            settings.webhook_timeout_seconds,
            settings.webhook_allow_private,
            settings.public_url or "",
        )
        return cls(store, sender, Policy.from_settings(settings))

    def run_once(self) -> int:
        """Send what is due now (one batch); the number of attempts made."""
        lease = timedelta(seconds=2 * self.policy.timeout) + LEASE_MARGIN
        batch = self.store.lease_deliveries(self.policy.batch, lease)
        for delivery, target in batch:
            sent = self.sender.send(target, delivery.event)
            attempts = delivery.attempts + 1
            retry_at = None
            if not sent.ok and attempts < self.policy.max_attempts:
                wait = retry_delay(
                    attempts, self.policy.backoff, self.policy.backoff_cap, self._rng
                )
                retry_at = datetime.now(UTC) + timedelta(seconds=wait)
            self.store.finish_delivery(
                delivery.id,
                status=sent.status,
                error=sent.error,
                retry_at=retry_at,
                pause_after=self.policy.pause_after,
            )
            if not sent.ok:
                log.warning(
                    "webhook %s: delivery %s of %s failed (attempt %s): %s",
                    delivery.webhook_id, delivery.id, delivery.event.key, attempts, sent.error,
                )  # fmt: skip
        return len(batch)

    def run(self, poll_seconds: float = 1.0) -> None:
        """Deliver until stopped: at once while there is work, else every `poll_seconds`."""
        self._poller = Poller("webhook-delivery", self.run_once, poll_seconds)
        self._poller.run()

    def start(self, poll_seconds: float = 1.0) -> None:
        self._poller = Poller("webhook-delivery", self.run_once, poll_seconds)
        self._poller.start()

    def close(self) -> None:
        if self._poller is not None:
            self._poller.stop(timeout=self.policy.timeout + 5)
        self.sender.close()
