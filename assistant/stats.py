"""Support statistics over stored conversations, messages, cases and feedback: pure functions.

self-service rate  conversations whose last assistant message is an answer (not a question
                   left hanging), with no case / conversations with a customer message
                   (the admin dashboard's stricter figure: assistant/store/dashboard.py)
hand-off rate      conversations with a case / conversations with a customer message
hand-offs by reason, each case counted once per reason (from its summary, else from the
                   assistant's hand-off message)
CSAT               average of the 1–5 scores given
time to hand-off   first customer message → case opened (median, seconds)
time to an agent   case opened → the first agent reply after it (median, seconds)
content gaps       the articles shown as "closest" when the assistant was not sure, most
                   often first: where the knowledge base needs work
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.store.protocol import Case, Conversation, Feedback, StoredMessage


@dataclass(frozen=True)
class ContentGap:
    document_id: str
    title: str
    count: int


@dataclass(frozen=True)
class Csat:
    average: float | None
    count: int


@dataclass(frozen=True)
class DeskStats:
    conversations: int
    self_service_rate: float | None  # None when no customer has written yet
    handoff_rate: float | None
    handoff_by_reason: dict[str, int]
    csat: Csat
    median_seconds_to_handoff: float | None
    median_seconds_to_first_agent_reply: float | None
    content_gaps: list[ContentGap] = field(default_factory=list)


def desk_stats(
    conversations: Sequence[Conversation],
    messages: Iterable[StoredMessage],
    cases: Sequence[Case],
    feedback: Iterable[Feedback],
    gaps: int = 10,
) -> DeskStats:
    by_conversation: dict[str, list[StoredMessage]] = defaultdict(list)
    for message in messages:
        by_conversation[message.conversation_id].append(message)
    for thread in by_conversation.values():
        thread.sort(key=lambda m: (m.created_at, m.id))

    engaged = {c for c, thread in by_conversation.items() if _said(thread, "customer")}
    answered = {c for c, thread in by_conversation.items() if _ends_answered(thread)}
    handed_off = {case.conversation_id for case in cases}
    scores = [f.csat for f in feedback if f.csat is not None]
    return DeskStats(
        conversations=len(conversations),
        self_service_rate=_rate(len((engaged & answered) - handed_off), len(engaged)),
        handoff_rate=_rate(len(engaged & handed_off), len(engaged)),
        handoff_by_reason=handoff_reasons(cases, by_conversation),
        csat=Csat(round(statistics.fmean(scores), 2) if scores else None, len(scores)),
        median_seconds_to_handoff=_median(
            _seconds(_first(by_conversation[c.conversation_id], "customer", None), c.created_at)
            for c in cases
        ),
        median_seconds_to_first_agent_reply=_median(
            _seconds(c.created_at, _first(by_conversation[c.conversation_id], "agent", c))
            for c in cases
        ),
        content_gaps=content_gaps((m for thread in by_conversation.values() for m in thread), gaps),
    )


def handoff_reasons(
    cases: Iterable[Case], by_conversation: dict[str, list[StoredMessage]]
) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for case in cases:
        reasons = case.summary.get("handoff_reasons")
        if not isinstance(reasons, list) or not reasons:
            reasons = next(
                (
                    m.meta.get("reasons")
                    for m in reversed(by_conversation.get(case.conversation_id, []))
                    if m.speaker == "assistant" and m.kind == "handoff"
                ),
                None,
            )
        names = {str(r) for r in reasons} if isinstance(reasons, list) and reasons else set()
        counts.update(names or {"unknown"})
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def content_gaps(messages: Iterable[StoredMessage], limit: int = 10) -> list[ContentGap]:
    """Articles shown as "closest" when the assistant was not sure, most often first."""
    counts: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for message in messages:
        if message.speaker != "assistant":
            continue
        related: Any = message.meta.get("related")
        for item in related if isinstance(related, list) else []:
            if isinstance(item, dict) and item.get("document_id"):
                document_id = str(item["document_id"])
                counts[document_id] += 1
                titles[document_id] = str(item.get("title") or document_id)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], titles[item[0]]))
    return [ContentGap(d, titles[d], n) for d, n in ranked[:limit]]


def _said(thread: Sequence[StoredMessage], speaker: str) -> bool:
    return any(m.speaker == speaker for m in thread)


def _ends_answered(thread: Sequence[StoredMessage]) -> bool:
    said = [m for m in thread if m.speaker == "assistant"]
    return bool(said) and _is_answer(said[-1])


def _is_answer(message: StoredMessage) -> bool:
    return message.speaker == "assistant" and (message.kind or "answer") == "answer"


def _first(thread: Sequence[StoredMessage], speaker: str, after: Case | None) -> datetime | None:
    """The first message by `speaker` (at or after the case was opened, when given)."""
    return next(
        (
            m.created_at
            for m in thread
            if m.speaker == speaker and (after is None or m.created_at >= after.created_at)
        ),
        None,
    )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None and v >= 0]
    return round(statistics.median(present), 1) if present else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
