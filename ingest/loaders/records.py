"""FAQs and resolved cases from YAML, JSON, JSON Lines or CSV exports.

Each record's kind is told by its fields: `question` + `answer` is an FAQ; `subject` with
`messages` or `customer_message` is a case. A bad record is reported with its line and skipped.
A case keeps its agent-written `resolution` in a metadata field of its own, so nothing the
customer wrote can pass for it (a customer can type "Resolution: …" into their message).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from typing import Any

import yaml

from assistant.text import RESOLUTION_FIELD
from assistant.types import Document
from ingest.loaders.articles import _as_date, _as_list
from ingest.loaders.errors import SourceError, SourceFileError, unexpected_reason
from ingest.loaders.safe_yaml import safe_load

_RESOLVED = {"solved", "resolved", "closed", "done"}


def _csv_list(value: Any) -> Any:
    return [v.strip() for v in value.split(";") if v.strip()] if isinstance(value, str) else value


def _csv_rows(reader: csv.DictReader[str]) -> Iterator[dict[str, Any]]:
    """The rows; a cell over the csv module's field limit (128 KiB) fails the file at its line:
    the reader cannot find the next row boundary after it."""
    try:
        yield from reader
    except csv.Error as exc:
        raise SourceFileError(f"CSV cannot be read: {exc}", reader.line_num or None) from exc


def _records(text: str, suffix: str) -> Iterator[tuple[int | None, Any]]:
    """Yield (line, record); a broken JSON line or CSV row yields (line, SourceFileError)."""
    if suffix == ".jsonl":
        for number, raw in enumerate(text.splitlines(), start=1):
            if raw.strip():
                try:
                    yield number, json.loads(raw)
                except json.JSONDecodeError as exc:
                    yield number, SourceFileError(f"invalid JSON: {exc.msg}", number)
        return
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or len(reader.fieldnames) < 2:
            raise SourceFileError("CSV has no header row with column names", line=1)
        for row in _csv_rows(reader):
            line = reader.line_num
            if None in row:
                yield line, SourceFileError("row has more cells than the header", line)
            else:
                yield (
                    line,
                    {
                        k.strip(): _csv_list(v) if k.strip() in {"tags", "audience"} else v
                        for k, v in row.items()
                    },
                )
        return
    try:
        data = json.loads(text) if suffix == ".json" else safe_load(text)
    except json.JSONDecodeError as exc:
        raise SourceFileError(f"invalid JSON: {exc.msg}", exc.lineno) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SourceFileError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from exc
    if isinstance(data, dict):
        lists = [
            v for k, v in data.items() if k in {"faqs", "cases", "items"} and isinstance(v, list)
        ]
        data = lists[0] if lists else None
    if not isinstance(data, list):
        raise SourceFileError(
            "expected a list of records (or a mapping with a `faqs`/`cases` list)"
        )
    for record in data:
        yield None, record


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value).strip()


def faq_document(record: dict[str, Any], path: str) -> Document:
    question, answer = _text(record, "question"), _text(record, "answer")
    if not question or not answer:
        raise SourceFileError("FAQ needs both a non-empty `question` and `answer`")
    faq_id = _text(record, "id") or hashlib.sha256(question.encode()).hexdigest()[:12]
    return Document(
        id=f"faq:{faq_id}",
        kind="faq",
        title=question,
        text=answer,
        url=_text(record, "url"),
        updated_at=_as_date(record.get("updated") or record.get("updated_at")),
        source_path=path,
        metadata={
            "product_area": _text(record, "product_area"),
            "audience": _as_list(record.get("audience")) or ["all"],
            "tags": _as_list(record.get("tags")),
            "locale": _text(record, "locale") or "en",
        },
    )


def _messages(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(role, author, body) for each message; CSV exports carry one customer + one agent text."""
    if isinstance(record.get("messages"), list):
        out = []
        for message in record["messages"]:
            if not isinstance(message, dict) or not str(message.get("body") or "").strip():
                raise SourceFileError("each message needs a `body`")
            role = str(message.get("author_role") or message.get("role") or "customer").lower()
            out.append((role, str(message.get("author") or ""), str(message["body"]).strip()))
        return out
    pairs = [("customer", "customer_message"), ("agent", "agent_reply")]
    return [(role, "", _text(record, key)) for role, key in pairs if _text(record, key)]


def case_document(record: dict[str, Any], path: str) -> Document:
    case_id, subject, resolution = (_text(record, k) for k in ("id", "subject", "resolution"))
    if not case_id:
        raise SourceFileError("case has no `id`")
    status = _text(record, "status").lower()
    if status and status not in _RESOLVED:
        raise SourceFileError(f"case {case_id} is not resolved (status {status!r}); skipped")
    if not resolution:
        raise SourceFileError(f"case {case_id} has no `resolution`")
    messages = _messages(record)
    requester: dict[str, Any] = (
        record["requester"] if isinstance(record.get("requester"), dict) else {}
    )
    names = {
        str(requester.get("name") or record.get("requester_name") or "").strip(),
        *(author for role, author, _ in messages if role != "agent"),
    }
    emails = {str(requester.get("email") or record.get("requester_email") or "").strip()}
    problem = "\n\n".join(body for role, _, body in messages if role != "agent")
    replies = "\n\n".join(f"Agent: {body}" for role, _, body in messages if role == "agent")
    text = f"## Problem\n\n{subject}\n\n{problem}\n\n## Resolution\n\n{resolution}\n"
    if replies:
        text += f"\n## Conversation\n\n{replies}\n"
    return Document(
        id=f"case:{case_id}",
        kind="case",
        title=subject or f"Case {case_id}",
        text=text,
        updated_at=_as_date(record.get("resolved_at") or record.get("created_at")),
        source_path=path,
        metadata={
            "product_area": _text(record, "product") or _text(record, "product_area"),
            "audience": ["all"],
            "tags": _as_list(record.get("tags")),
            "locale": _text(record, "locale") or "en",
            "case_id": case_id,
            "channel": _text(record, "channel"),
            "priority": _text(record, "priority"),
            "created_at": _as_date(record.get("created_at")),
            "resolved_at": _as_date(record.get("resolved_at")),
            # The agent's resolution in its own field, apart from the customer's words in the
            # text: it is all an answer may quote of a case (the text is only searched).
            RESOLUTION_FIELD: resolution,
        },
        redact_names=tuple(sorted(n for n in names | emails if n)),
    )


def load_records_file(
    text: str, suffix: str, path: str
) -> tuple[list[Document], list[SourceError]]:
    documents: list[Document] = []
    errors: list[SourceError] = []
    for line, record in _records(text, suffix):
        try:
            if isinstance(record, SourceFileError):
                raise record
            if not isinstance(record, dict):
                raise SourceFileError(f"expected an object per record, got {type(record).__name__}")
            if "question" in record and "answer" in record:
                documents.append(faq_document(record, path))
            elif "subject" in record or "messages" in record or "customer_message" in record:
                documents.append(case_document(record, path))
            else:
                raise SourceFileError(
                    "record is neither an FAQ (question, answer) nor a case "
                    "(subject, messages or customer_message, resolution)"
                )
        except SourceFileError as exc:
            errors.append(SourceError(path, exc.line or line, exc.reason))
        except Exception as exc:  # one odd record never costs the file's other records
            errors.append(SourceError(path, line, unexpected_reason(exc)))
    return documents, errors
