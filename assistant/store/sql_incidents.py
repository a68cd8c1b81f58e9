"""Incidents on SQLAlchemy: the `IncidentBoard` part of the SQL store (values and life cycle
in `incidents.py`). The incident row repeats its latest status and time, so the status page and
every customer turn read one small table, and the updates of the incidents listed in one more
query."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.incidents import (
    MAX_MESSAGE,
    MAX_TITLE,
    Incident,
    areas_of,
    status_of,
    text_of,
    to_incident,
)
from assistant.store.models import IncidentRow, IncidentUpdateRow
from assistant.store.sql_mail import SqlMail


class SqlIncidents(SqlMail):
    """The `IncidentBoard` on the conversation store's engine (`SqlCaseStore` builds on it)."""

    def open_incident(
        self, title: str, areas: Sequence[str], status: str, message: str, author: str
    ) -> Incident:
        now = self._now()
        row = IncidentRow(
            title=text_of(title, "title", MAX_TITLE),
            areas=list(areas_of(areas)),
            status=status_of(status, opening=True),
            started_at=now,
            updated_at=now,
        )
        message = text_of(message, "message", MAX_MESSAGE)
        with self._session(write=True) as session:
            session.add(row)
            session.flush()
            session.add(IncidentUpdateRow(
                incident_id=row.id, status=row.status, message=message, author=author,
                created_at=now,
            ))  # fmt: skip
            session.flush()
            return self._read_one(session, row)

    def update_incident(self, incident_id: int, status: str, message: str, author: str) -> Incident:
        new_status = status_of(status, opening=False)
        message = text_of(message, "message", MAX_MESSAGE)
        now = self._now()
        with self._session(write=True) as session:
            row = session.get(IncidentRow, incident_id, with_for_update=True)
            if row is None:
                raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No incident {incident_id}.")
            if row.status == "resolved":
                raise AnswerdeskError(
                    ErrorCode.CONFLICT,
                    f"Incident {incident_id} is resolved; open a new incident if it is back.",
                )
            row.status, row.updated_at = new_status, now
            if new_status == "resolved":
                row.resolved_at = now
            session.add(IncidentUpdateRow(
                incident_id=row.id, status=new_status, message=message, author=author,
                created_at=now,
            ))  # fmt: skip
            session.flush()
            return self._read_one(session, row)

    def incident(self, incident_id: int) -> Incident:
        with self._session() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No incident {incident_id}.")
            return self._read_one(session, row)

    def incidents(
        self, *, resolved_since: datetime | None = None, limit: int = 50
    ) -> list[Incident]:
        """Active incidents, then resolved ones (all, or those resolved since
        `resolved_since`), newest first in each."""
        query = select(IncidentRow)
        if resolved_since is not None:
            query = query.where(
                or_(IncidentRow.resolved_at.is_(None), IncidentRow.resolved_at >= resolved_since)
            )
        return self._listed(query, limit)

    def active_incidents(self) -> list[Incident]:
        """What the customer turn reads: the incidents not yet resolved."""
        return self._listed(select(IncidentRow).where(IncidentRow.resolved_at.is_(None)), 50)

    def _listed(self, query: Select[IncidentRow], limit: int) -> list[Incident]:
        query = query.order_by(
            IncidentRow.resolved_at.is_not(None), IncidentRow.started_at.desc(), IncidentRow.id
        ).limit(max(1, min(limit, 500)))
        with self._session() as session:
            return list(self._with_updates(session, list(session.scalars(query))))

    def _read_one(self, session: Session, row: IncidentRow) -> Incident:
        return next(self._with_updates(session, [row]))

    def _with_updates(self, session: Session, rows: Sequence[IncidentRow]) -> Iterator[Incident]:
        ids = [r.id for r in rows]
        updates: dict[int, list[IncidentUpdateRow]] = {i: [] for i in ids}
        if ids:
            query = select(IncidentUpdateRow).where(IncidentUpdateRow.incident_id.in_(ids))
            for update in session.scalars(query):
                updates[update.incident_id].append(update)
        return (to_incident(r, updates[r.id]) for r in rows)
