"""Redact PII and secrets from support-case text before it is embedded.

The rules are shared with the live desk, which redacts what customers type before it is stored:
`assistant.redaction` (its module doc lists the placeholders and the rule order). Ingest passes
the names it knows (a ticket's requester, people its text names: `ingest.sync.redact_document`).
"""

from __future__ import annotations

from assistant.redaction import Redacted, redact

__all__ = ["Redacted", "redact"]
