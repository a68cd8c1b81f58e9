"""Incidents: a known problem the team announces, on the status page, in the widget and in the
answers to the customers it affects.

    open ──update──► investigating | identified | monitoring ──update(resolved)──► resolved

An incident is opened with a title, the product areas it affects (the articles'
`product_area`), a status and a first message; every later update adds a timed message and may
change the status. A resolved incident takes no more updates: a recurrence is a new incident.
The SQL side is `sql_incidents.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.models import INCIDENT_STATUSES, IncidentRow, IncidentUpdateRow

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
MAX_TITLE = 200
MAX_MESSAGE = 2000
MAX_AREAS = 20
_AREA = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,59}$")


@dataclass(frozen=True)
class IncidentUpdate:
    status: IncidentStatus
    message: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class Incident:
    id: int
    title: str
    areas: tuple[str, ...]
    status: IncidentStatus
    started_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: tuple[IncidentUpdate, ...]  # newest first

    @property
    def active(self) -> bool:
        return self.status != "resolved"

    @property
    def latest(self) -> IncidentUpdate:
        return self.updates[0]


def areas_of(values: Sequence[str]) -> tuple[str, ...]:
    """Product areas as the articles write them: lower case, each once."""
    areas = tuple(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))
    bad = [a for a in areas if not _AREA.match(a)]
    if bad or len(areas) > MAX_AREAS:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT,
            f"Affected areas: up to {MAX_AREAS} product areas of letters, digits, spaces, '-' or "
            f"'_' (as in the articles' product_area), not {', '.join(map(repr, bad)) or 'more'}.",
        )
    return areas


def status_of(value: str, *, opening: bool) -> IncidentStatus:
    allowed = INCIDENT_STATUSES[:-1] if opening else INCIDENT_STATUSES
    if value not in allowed:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, f"Incident status {value!r}: use one of {', '.join(allowed)}."
        )
    return cast(IncidentStatus, value)


def text_of(value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, f"The incident's {what} needs 1-{limit} characters."
        )
    return value


def to_incident(row: IncidentRow, updates: Sequence[IncidentUpdateRow]) -> Incident:
    return Incident(
        row.id,
        row.title,
        tuple(row.areas),
        cast(IncidentStatus, row.status),
        row.started_at,
        row.updated_at,
        row.resolved_at,
        tuple(
            IncidentUpdate(cast(IncidentStatus, u.status), u.message, u.author, u.created_at)
            for u in sorted(updates, key=lambda u: u.id, reverse=True)
        ),
    )
