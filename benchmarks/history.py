"""A generated support history: conversations, messages, hand-off cases and feedback.

Seeded, so a test and the dashboard benchmark see the same history for the same seed. It
holds every situation the dashboard's definitions distinguish: anonymous and returning
customers, chats left at a clarifying or intake question, thumbs-downs, cases in each status,
reopened and merged cases, SLA met and breached, cited articles with CSAT. Rows are written
with bulk inserts straight into the store's tables (the store's own API would take minutes
for 10,000 conversations).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, text

from assistant.store.models import CaseRow, ConversationRow, FeedbackRow, MessageRow

REASONS = ("low_confidence", "angry", "human_requested", "policy:refund", "repeated_failure")
FIELDS = ("error_message", "started", "device", "account")
QUEUES = ("billing", "technical", "accounts")
AGENTS = ("ana", "bo", "chen", "dara")
ARTICLES = tuple(f"kb-{i:02d}" for i in range(12))
SPAN = timedelta(days=60)


def generate(
    engine: Engine,
    conversations: int,
    end: datetime,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write `conversations` conversations created over the 60 days before `end`."""
    rng = random.Random(seed)
    customers = [f"cust-{i}" for i in range(max(1, conversations // 3))]
    batch = _Batch()
    for n in range(conversations):
        _conversation(rng, batch, customers, end - SPAN * rng.random(), end)
        if len(batch.conversations) >= 1000:
            batch.write(engine)
            if progress:
                progress(n + 1)
    batch.write(engine)
    if progress:
        progress(conversations)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("messages", "cases", "feedback"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {table}), 1))"
                    )
                )
        # The planner's statistics, as autovacuum keeps them on a database that grew by use
        # (right after a bulk load PostgreSQL would still plan for empty tables).
        connection.execute(text("ANALYZE"))


class _Batch:
    def __init__(self) -> None:
        self.conversations: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.cases: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
        self.next_id = {"messages": 1, "cases": 1, "feedback": 1}

    def id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] += 1
        return value

    def write(self, engine: Engine) -> None:
        with engine.begin() as connection:
            for model, rows in (
                (ConversationRow, self.conversations),
                (MessageRow, self.messages),
                (CaseRow, [c for c in self.cases if c["merged_into"] is None]),
                (CaseRow, [c for c in self.cases if c["merged_into"] is not None]),
                (FeedbackRow, self.feedback),
            ):
                if rows:
                    connection.execute(insert(model), rows)
        for rows in (self.conversations, self.messages, self.cases, self.feedback):
            rows.clear()


def _message(
    batch: _Batch, cid: str, speaker: str, at: datetime, kind: str = "", **extra: Any
) -> int:
    mid = batch.id("messages")
    batch.messages.append(
        {
            "id": mid, "conversation_id": cid, "speaker": speaker, "text": f"{speaker} {kind}",
            "citations": extra.get("citations", []), "confidence": None,
            "author": extra.get("author", ""), "created_at": at, "kind": kind, "meta": {},
        }
    )  # fmt: skip
    return mid


def _citation(n: int, document_id: str) -> dict[str, Any]:
    return {
        "n": n, "document_id": document_id, "title": document_id, "url": "", "section": "",
        "kind": "article", "snippet": "",
    }  # fmt: skip


def _conversation(
    rng: random.Random, batch: _Batch, customers: list[str], start: datetime, end: datetime
) -> None:
    cid = uuid.UUID(int=rng.getrandbits(128)).hex
    customer = {"id": rng.choice(customers)} if rng.random() < 0.8 else {}
    batch.conversations.append(
        {"id": cid, "token_hash": "0" * 64, "customer": customer, "status": "active",
         "created_at": start}
    )  # fmt: skip
    if rng.random() < 0.05:
        return  # opened the widget, never wrote
    at = start + timedelta(seconds=rng.randint(5, 120))
    answer = None
    for _turn in range(rng.choice((1, 1, 2, 3))):
        _message(batch, cid, "customer", at)
        at += timedelta(seconds=rng.randint(1, 30))
        kind = rng.choices(("answer", "clarify", "intake"), (0.75, 0.15, 0.10))[0]
        cited = [_citation(n, d) for n, d in enumerate(rng.sample(ARTICLES, rng.randint(1, 2)), 1)]
        cited = cited if kind == "answer" else []
        mid = _message(batch, cid, "assistant", at, kind, citations=cited)
        answer = mid if kind == "answer" else answer
        at += timedelta(seconds=rng.randint(20, 600))
    if rng.random() < 0.3:
        at = _case(rng, batch, cid, at, end)
    if rng.random() < 0.35 and at < end:
        csat = rng.randint(1, 5) if rng.random() < 0.6 else None
        helpful = rng.choice((True, False, None)) if csat is None else rng.choice((True, None))
        batch.feedback.append(
            {"id": batch.id("feedback"), "conversation_id": cid,
             "message_id": answer if rng.random() < 0.7 else None, "helpful": helpful,
             "csat": csat, "comment": "", "created_at": min(end, at + timedelta(minutes=2))}
        )  # fmt: skip


def _case(rng: random.Random, batch: _Batch, cid: str, at: datetime, end: datetime) -> datetime:
    _message(batch, cid, "assistant", at, "handoff")
    created = at + timedelta(seconds=1)
    reasons = rng.sample(REASONS, rng.choice((0, 1, 1, 2)))
    missing = rng.sample(FIELDS, rng.choice((0, 0, 1, 2)))
    status = rng.choices(("open", "claimed", "waiting_on_customer", "resolved"), (1, 1, 1, 5))[0]
    case_id = batch.id("cases")
    row: dict[str, Any] = {
        "id": case_id, "conversation_id": cid, "status": status, "priority": rng.random(),
        "priority_reasons": reasons, "category": "general", "queue": rng.choice(QUEUES),
        "sla_due_at": created + timedelta(hours=rng.choice((1, 4, 8))) if rng.random() < 0.9
        else None,
        "claimed_by": None, "claimed_at": None,
        "summary": {"handoff_reasons": reasons, "missing": missing}, "tags": reasons,
        "resolution": None, "merged_into": None, "created_at": created, "resolved_at": None,
        "kb_status": "none",
    }  # fmt: skip
    batch.cases.append(row)
    reply = created + timedelta(minutes=rng.expovariate(1 / 90))
    if status != "open" and reply < end:
        agent = rng.choice(AGENTS)
        row.update(claimed_by=agent, claimed_at=reply - timedelta(seconds=30))
        _message(batch, cid, "agent", reply, "reply", author=agent)
        if status == "resolved":
            row.update(resolved_at=min(end, reply + timedelta(minutes=rng.expovariate(1 / 240))))
            if rng.random() < 0.1 and row["resolved_at"] < end:  # came back: a second case
                again = row["resolved_at"] + timedelta(hours=rng.randint(1, 72))
                if again < end:
                    _message(batch, cid, "customer", again - timedelta(seconds=5))
                    _case(rng, batch, cid, again, end)
    elif status != "open":
        row["status"] = "open"
    if rng.random() < 0.02 and status == "resolved":  # a duplicate merged into this one
        dup = dict(row, id=batch.id("cases"), merged_into=case_id, status="resolved")
        batch.cases.append(dup)
    return max(created, row["resolved_at"] or created)
