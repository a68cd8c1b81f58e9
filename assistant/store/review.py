"""Resolved case → knowledge base, through review: the moves, the texts, the export format.

Customers' words are never instructions or answers for other customers. What a case gives the
index is only what a reviewer approved: a problem statement and the agent-written resolution,
exported in the case format `answerdesk ingest` reads, without the transcript.

The problem statement starts from the summary's issue, which is the customer's own sentence,
made neutral: redacted as a customer message is, cut before any answer label ("Resolution:",
"Fix:" — a customer can type one), and without the sentences that carry a link or a host name,
ask for credentials or address a model. The reviewer may rewrite it; the rewrite goes through
the same. The resolution is redacted as every resolution is (`privacy.resolution`), must say
something (`MIN_WORDS`), and may not ask for credentials or carry instructions for a model.

The moves (`nominate`, `approve`, `reject`, `reset`) change a locked `CaseRow` in the caller's
transaction; the diagram is in `protocol.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.redaction import redact_text
from assistant.safety import credential_requests, looks_like_injection, outside_links, sentences
from assistant.store import privacy
from assistant.store.models import CaseRow
from assistant.store.protocol import Case, KbReview, KbStatus, priority_label

MIN_WORDS = 5  # a resolution a customer can act on says at least this much
MAX_PROBLEM_CHARS = 300

NOMINABLE: frozenset[str] = frozenset({"none", "rejected"})
APPROVABLE: frozenset[str] = frozenset({"candidate", "approved", "exported"})
REJECTABLE: frozenset[str] = frozenset({"candidate", "approved", "exported"})

# Where a customer's own "answer" starts, at the start of a sentence or clause: everything
# after it is dropped from the problem ("Not resolved: …" is no label).
_ANSWER_LABEL = re.compile(
    r"(?:^|(?<=[.!?,;:)\]\n]))\s*(?:resolution|resolved|solution|solved|fix(?:ed)?|answer"
    r"|workaround|instructions?|steps?|how to fix(?: it)?)\s*(?:[:=]|[-–—]+\s)",
    re.I,
)
# A host name without a scheme or path ("fix.evil.example"), which the link pattern leaves; a
# file name ("export.csv") is not one.
_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+([a-z]{2,24})\b", re.I)
_FILE_EXTENSIONS = frozenset(
    {"csv", "pdf", "txt", "log", "json", "xml", "xls", "xlsx", "doc", "docx", "odt", "ods"}
    | {"png", "jpg", "jpeg", "gif", "svg", "zip", "gz", "tar", "ofx", "qif", "qbo", "html"}
    | {"htm", "md", "exe", "dmg", "pkg", "apk", "msi"}
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def _links(sentence: str) -> bool:
    if outside_links(sentence, ()):  # no domain allowed: every link counts
        return True
    for match in _HOST.finditer(sentence):
        if match.group(0).count(".") > 1 or match.group(1).lower() not in _FILE_EXTENSIONS:
            return True
    return False


def _unsafe(sentence: str) -> bool:
    return _links(sentence) or bool(credential_requests(sentence)) or looks_like_injection(sentence)


def neutral_problem(text: str) -> str:
    """A problem statement safe to show and index: see the module docstring. May be empty."""
    text = redact_text(text)
    label = _ANSWER_LABEL.search(text)
    if label is not None:
        text = text[: label.start()]
    kept = " ".join(s.strip() for s in sentences(text) if s.strip() and not _unsafe(s))
    kept = kept.strip(" \t\n,;:-–—")
    if len(kept) > MAX_PROBLEM_CHARS:
        kept = kept[: MAX_PROBLEM_CHARS - 1].rstrip() + "…"
    return kept


def problem_statement(summary: Mapping[str, Any]) -> str:
    """The neutral problem statement proposed for a case: from its summary's issue."""
    for key in ("issue", "subject", "title"):
        value = summary.get(key)
        if isinstance(value, str) and value.strip():
            return neutral_problem(value)
    return ""


def approved_texts(row: CaseRow, resolution: str | None, problem: str | None) -> tuple[str, str]:
    """(problem, resolution) as they would be exported, or UNPROCESSABLE saying what to fix."""
    given = (row.resolution or "") if resolution is None else resolution
    text = privacy.resolution(given.strip())
    if len(_WORD.findall(text)) < MIN_WORDS:
        raise AnswerdeskError(
            ErrorCode.UNPROCESSABLE,
            f"Case {row.id}: a resolution for the knowledge base says what solved the problem "
            f"in at least {MIN_WORDS} words; write it out (`resolution`).",
        )
    if credential_requests(text) or looks_like_injection(text):
        raise AnswerdeskError(
            ErrorCode.UNPROCESSABLE,
            f"Case {row.id}: the resolution asks the reader for credentials or carries "
            "instructions for the assistant; it cannot be given to other customers. Reword it.",
        )
    stated = neutral_problem(problem) if problem is not None else problem_statement(row.summary)
    if not stated:
        raise AnswerdeskError(
            ErrorCode.UNPROCESSABLE,
            f"Case {row.id}: nothing of its issue can be exported as the problem statement (it "
            "held only links, an answer or instructions); write one (`problem`).",
        )
    return stated, text


# The moves, on a row locked by the caller


def _check(row: CaseRow, action: str, allowed: frozenset[str]) -> None:
    if row.status != "resolved" or row.merged_into is not None or not row.resolution:
        why = (
            f"was merged into case {row.merged_into}"
            if row.merged_into is not None
            else "is not resolved"
        )
        raise AnswerdeskError(
            ErrorCode.CONFLICT,
            f"Case {row.id} {why}: only a resolved case can go into the knowledge base.",
        )
    if row.kb_status not in allowed:
        hint = {
            "none": "propose it first",
            "candidate": "it waits for review",
            "rejected": "propose it again first",
            "approved": "it is approved and waits for the export",
            "exported": "it was exported already",
        }[row.kb_status]
        raise AnswerdeskError(
            ErrorCode.CONFLICT, f"Case {row.id} is {row.kb_status}: cannot {action} it ({hint})."
        )


def _reviewed(row: CaseRow, status: KbStatus, agent: str, now: datetime) -> None:
    row.kb_status, row.kb_reviewed_by, row.kb_reviewed_at = status, agent, now


def nominate(row: CaseRow, agent: str, now: datetime) -> None:
    if row.kb_status == "candidate" and row.status == "resolved":
        return  # proposing a candidate again changes nothing
    _check(row, "propose", NOMINABLE)
    _reviewed(row, "candidate", agent, now)
    row.kb_problem = row.kb_resolution = row.kb_reason = None


def approve(
    row: CaseRow, agent: str, now: datetime, resolution: str | None, problem: str | None
) -> None:
    _check(row, "approve", APPROVABLE)
    row.kb_problem, row.kb_resolution = approved_texts(row, resolution, problem)
    row.kb_reason = None
    _reviewed(row, "approved", agent, now)


def reject(row: CaseRow, agent: str, now: datetime, reason: str) -> None:
    _check(row, "reject", REJECTABLE)
    row.kb_reason = privacy.message_text("note", reason.strip())
    row.kb_problem = row.kb_resolution = None
    _reviewed(row, "rejected", agent, now)


def reset(row: CaseRow) -> None:
    """A reopened case has no resolution any more: nothing of it is knowledge."""
    row.kb_status = "none"
    row.kb_reviewed_by = row.kb_reviewed_at = None
    row.kb_problem = row.kb_resolution = row.kb_reason = None


def to_review(row: CaseRow) -> KbReview:
    return KbReview(
        status=cast(KbStatus, row.kb_status or "none"),
        reviewed_by=row.kb_reviewed_by,
        reviewed_at=row.kb_reviewed_at,
        problem=row.kb_problem,
        resolution=row.kb_resolution,
        reason=row.kb_reason,
    )


# The export: the case format of `answerdesk ingest` (data/sample/README.md, "Case")


def _iso(moment: datetime | None) -> str:
    return moment.isoformat().replace("+00:00", "Z") if moment else ""


def kb_record(case: Case) -> dict[str, Any]:
    """An approved case as one JSONL record for ingest: the approved problem statement as its
    subject, the approved resolution in its own field, no messages. Both are redacted again on
    the way out, as every export is."""
    if case.kb.status not in ("approved", "exported") or not case.kb.resolution:
        raise AnswerdeskError(
            ErrorCode.CONFLICT, f"Case {case.id} is not approved for the knowledge base."
        )
    customer = case.summary.get("customer")
    locale = customer.get("locale") if isinstance(customer, dict) else None
    return {
        "id": f"AD-{case.id}",
        "subject": redact_text(case.kb.problem or f"Case {case.id}"),
        "status": "resolved",
        "created_at": _iso(case.created_at),
        "resolved_at": _iso(case.resolved_at),
        "product": case.category,
        "tags": list(case.tags),
        "priority": priority_label(case.priority),
        "channel": "chat",
        "locale": locale if isinstance(locale, str) and locale else "en",
        "resolution": privacy.resolution(case.kb.resolution),
        "reviewed_by": case.kb.reviewed_by or "",
        "reviewed_at": _iso(case.kb.reviewed_at),
    }
