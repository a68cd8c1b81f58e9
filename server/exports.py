"""Admin exports and statistics, read page by page from the store's `Reporting` views.

    conversations  JSONL: one conversation per line with its messages (no internal notes);
                   CSV: one message per row, with its conversation's columns
    cases          one case per line/row (JSONL keeps the whole summary)
    feedback       one rating per line/row
    kb             the approved resolved cases, in the case format `answerdesk ingest` reads
                   (`kb_export`; `answerdesk cases export`, GET /v1/admin/kb/export)

Everything is redacted again on the way out (assistant/store/privacy.py, as the store does on
the way in), so rows stored before redaction was applied leak nothing either; the customer
context's email stays, as it identifies the account.

CSV cells that a spreadsheet would run as a formula are prefixed with a quote: customers write
some of this text. That is any cell starting with = + - @, or with a tab or carriage return
(spreadsheets skip them and read the formula after: "\t=1+1"), as OWASP's CSV-injection advice
lists them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal, TypeVar

from assistant.stats import DeskStats, desk_stats
from assistant.store import privacy
from assistant.store.protocol import Case, CaseStore, Conversation, KbStatus, StoredMessage
from assistant.store.review import kb_record

Kind = Literal["conversations", "cases", "feedback"]
Format = Literal["jsonl", "csv"]
T = TypeVar("T")
PAGE = 500
FORMULA_STARTS = frozenset("=+-@\t\r")


def pages(fetch: Callable[[int, int], list[T]], size: int = PAGE) -> Iterator[list[T]]:
    offset = 0
    while True:
        page = fetch(size, offset)
        if page:
            yield page
        if len(page) < size:
            return
        offset += size


def collect_stats(store: CaseStore) -> DeskStats:
    conversations: list[Conversation] = []
    messages: list[StoredMessage] = []
    for page in pages(store.list_conversations):
        conversations += page
        messages += store.messages_for([c.id for c in page])
    cases = [c for page in pages(store.list_all_cases) for c in page]
    feedback = [f for page in pages(store.list_feedback) for f in page]
    return desk_stats(conversations, messages, cases, feedback)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _message(m: StoredMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "speaker": m.speaker,
        "kind": m.kind,
        "author": m.author,
        "created_at": _iso(m.created_at),
        "text": privacy.message_text(m.speaker, m.text),
        "confidence": m.confidence,
        "citations": [asdict(c) for c in m.citations],
    }


def conversation_records(store: CaseStore) -> Iterator[dict[str, Any]]:
    for page in pages(store.list_conversations):
        threads: dict[str, list[StoredMessage]] = {c.id: [] for c in page}
        for m in store.messages_for([c.id for c in page]):
            threads[m.conversation_id].append(m)
        for conversation in page:
            yield {
                "id": conversation.id,
                "status": conversation.status,
                "created_at": _iso(conversation.created_at),
                "customer": asdict(conversation.customer),
                "messages": [_message(m) for m in threads[conversation.id]],
            }


def _case(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "conversation_id": case.conversation_id,
        "status": case.status,
        "priority": case.priority,
        "priority_reasons": list(case.priority_reasons),
        "category": case.category,
        "queue": case.queue,
        "tags": list(case.tags),
        "created_at": _iso(case.created_at),
        "sla_due_at": _iso(case.sla_due_at),
        "claimed_by": case.claimed_by,
        "claimed_at": _iso(case.claimed_at),
        "resolution": privacy.resolution(case.resolution) if case.resolution else None,
        "merged_into": case.merged_into,
        "resolved_at": _iso(case.resolved_at),
        "summary": privacy.summary(case.summary),
    }


def records(store: CaseStore, kind: Kind) -> Iterator[dict[str, Any]]:
    if kind == "conversations":
        yield from conversation_records(store)
    elif kind == "cases":
        yield from (_case(c) for page in pages(store.list_all_cases) for c in page)
    else:
        for page in pages(store.list_feedback):
            for f in page:
                yield {
                    **asdict(f),
                    "comment": privacy.feedback_comment(f.comment),
                    "created_at": _iso(f.created_at),
                }


def _rows(kind: Kind, record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A record as flat CSV rows: a conversation gives one row per message."""
    if kind == "conversations":
        customer = {f"customer_{k}": v for k, v in record["customer"].items()}
        head = {
            "conversation_id": record["id"],
            "conversation_status": record["status"],
            "conversation_created_at": record["created_at"],
            **customer,
        }
        for m in record["messages"]:
            yield {
                **head,
                **{f"message_{k}": v for k, v in m.items() if k != "citations"},
                "message_citations": " ".join(c["document_id"] for c in m["citations"]),
            }
    elif kind == "cases":
        summary = record["summary"]
        flat = {k: v for k, v in record.items() if k != "summary"}
        yield {
            **flat,
            "title": summary.get("issue", ""),
            "handoff_reasons": summary.get("handoff_reasons", []),
        }
    else:
        yield record


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def render(kind: Kind, fmt: Format, items: Iterable[dict[str, Any]]) -> Iterator[str]:
    if fmt == "jsonl":
        for record in items:
            yield json.dumps(record, ensure_ascii=False, default=str) + "\n"
        return
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for record in items:
        for row in _rows(kind, record):
            if writer is None:
                writer = csv.DictWriter(buffer, fieldnames=list(row), extrasaction="ignore")
                writer.writeheader()
            writer.writerow({k: _cell(v) for k, v in row.items()})
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def kb_export(store: CaseStore, *, include_exported: bool = False) -> list[Case]:
    """The cases an export for ingest carries: the approved ones, and with `include_exported`
    those exported before too. Mark them with `store.mark_exported` once they are written."""
    wanted: tuple[KbStatus, ...] = ("approved", "exported") if include_exported else ("approved",)
    return [
        case
        for page in pages(lambda limit, offset: store.kb_cases(wanted, limit, offset))
        for case in page
    ]


def kb_jsonl(cases: Iterable[Case]) -> str:
    return "".join(json.dumps(kb_record(c), ensure_ascii=False) + "\n" for c in cases)
