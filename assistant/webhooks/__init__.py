"""Webhooks out: the store's events, signed and delivered to the tools a team already runs.

    signing.py   the signature header (HMAC-SHA256 over timestamp and body) and its check,
                 for receivers
    bodies.py    what a subscription receives: the event as JSON, or a Slack message
    sender.py    one HTTP POST, refused for private addresses unless allowed
    worker.py    leases due deliveries, sends them, retries with backoff and jitter

Deliveries are at least once: a receiver deduplicates by the event id (`Answerdesk-Event-Id`,
also the body's `id`).
"""
