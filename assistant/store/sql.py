"""The `CaseStore` on SQLAlchemy: a SQLite file by default, PostgreSQL for many API workers.

    store = SqlCaseStore.from_settings(settings)   # connects, migrates, ready

State changes are conditional updates (`UPDATE cases ... WHERE status = 'open'`) whose row
count says whether this caller won; when nothing changed, the current row says why, and the
loser is told who holds the case. Read-modify-write changes (tags, merges) lock their rows
first (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's writers are serialized by
`BEGIN IMMEDIATE`). Engine, timeouts and migrations live in `engine.py`; conversations,
messages and feedback in `conversations.py`, incidents in `incidents.py`, webhooks in
`sql_webhooks.py`; each change writes its event in its transaction (`outbox.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store import outbox, privacy, retention, review, search
from assistant.store.article_use import ArticleUse, article_use
from assistant.store.case_rows import refusal, tags_of, to_case
from assistant.store.conversations import _feedback as to_feedback
from assistant.store.conversations import required, to_conversation
from assistant.store.dashboard import Dashboard, DashboardQueries
from assistant.store.engine import unavailable
from assistant.store.gaps import GapQuestion, gap_questions
from assistant.store.models import CaseRow, ConversationRow, FeedbackRow
from assistant.store.protocol import (
    ACTIVE_STATUSES,
    Case,
    CaseSort,
    CaseStatus,
    Conversation,
    Erased,
    Feedback,
    KbStatus,
    NewCase,
    StoredMessage,
)
from assistant.store.sql_incidents import SqlIncidents

_WORKING: tuple[CaseStatus, ...] = ("claimed", "waiting_on_customer")


class SqlCaseStore(SqlIncidents):
    """Conversations plus the hand-off case queue: the whole `CaseStore` seam."""

    def _case_row(self, session: Session, case_id: int, lock: bool = False) -> CaseRow:
        query = select(CaseRow).where(CaseRow.id == case_id)
        row = session.scalars(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No case {case_id}.")
        return row

    def _transition(
        self,
        session: Session,
        case_id: int,
        action: str,
        agent: str,
        conditions: Sequence[ColumnElement[bool]],
        **values: Any,
    ) -> CaseRow:
        """Change the case only if it is (still) in the state the action needs."""
        statement = (
            update(CaseRow)
            .where(CaseRow.id == case_id, *conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], session.execute(statement))
        row = session.get(CaseRow, case_id, populate_existing=True)
        if result.rowcount != 1 or row is None:
            raise refusal(row, case_id, action, agent)
        return row

    def _set_conversation_status(self, session: Session, ids: Sequence[str], status: str) -> None:
        session.execute(
            update(ConversationRow)
            .where(ConversationRow.id.in_(ids))
            .values(status=status)
            .execution_options(synchronize_session=False)
        )

    def _merged_family(self, session: Session, case_id: int) -> list[CaseRow]:
        """This case and every case merged into it, directly or through another duplicate."""
        family = [self._case_row(session, case_id)]
        frontier = [case_id]
        while frontier:
            found = list(session.scalars(select(CaseRow).where(CaseRow.merged_into.in_(frontier))))
            family += found
            frontier = [row.id for row in found]
        return family

    # The queue

    def open_case(self, conversation_id: str, new: NewCase) -> Case:
        if not 0 <= new.priority <= 1:
            raise AnswerdeskError(
                ErrorCode.INVALID_INPUT, f"priority is a score in [0, 1], not {new.priority}."
            )
        if new.sla_due_at is not None and new.sla_due_at.tzinfo is None:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, "sla_due_at must be timezone-aware.")
        with self._session(write=True, guarded=True) as session:
            self._conversation_row(session, conversation_id)
            active = session.scalars(
                select(CaseRow.id).where(
                    CaseRow.conversation_id == conversation_id, CaseRow.status != "resolved"
                )
            ).first()
            if active is not None:
                raise AnswerdeskError(
                    ErrorCode.CONFLICT,
                    f"Conversation {conversation_id} already has case {active} unresolved; "
                    "add to that case instead of opening another.",
                )
            row = CaseRow(
                conversation_id=conversation_id,
                status="open",
                priority=float(new.priority),
                priority_reasons=list(new.reasons),
                category=required(new.category, "The case category"),
                queue=required(new.queue, "The case queue"),
                sla_due_at=new.sla_due_at,
                summary=privacy.summary(new.summary),
                tags=tags_of(new.tags),
                created_at=self._now(),
            )
            session.add(row)
            session.flush()
            self._set_conversation_status(session, [conversation_id], "handed_off")
            outbox.case_event(session, self._now(), "case.created", row)
            return to_case(row)

    def case(self, case_id: int) -> Case:
        with self._session() as session:
            return to_case(self._case_row(session, case_id))

    def list_cases(
        self,
        *,
        status: Sequence[CaseStatus] = ACTIVE_STATUSES,
        queue: str | None = None,
        category: str | None = None,
        claimed_by: str | None = None,
        conversation_id: str | None = None,
        sort: CaseSort = "priority",
        limit: int = 100,
    ) -> list[Case]:
        if not 1 <= limit <= 1000:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, "limit is 1 to 1000.")
        orders = {
            "priority": (CaseRow.priority.desc(), CaseRow.created_at, CaseRow.id),
            "waiting": (CaseRow.created_at, CaseRow.id),
            "sla": (CaseRow.sla_due_at.asc().nulls_last(), CaseRow.priority.desc(), CaseRow.id),
        }
        if sort not in orders:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, f"sort is one of {sorted(orders)}.")
        query = select(CaseRow).where(CaseRow.status.in_(list(status)))
        for column, value in (
            (CaseRow.queue, queue),
            (CaseRow.category, category),
            (CaseRow.claimed_by, claimed_by),
            (CaseRow.conversation_id, conversation_id),
        ):
            if value is not None:
                query = query.where(column == value)
        with self._session() as session:
            rows = session.scalars(query.order_by(*orders[sort]).limit(limit))
            return [to_case(row) for row in rows]

    def cases_ahead(self, case: Case) -> int:
        # Counted in the database: the queue can hold hundreds of cases, each with a summary.
        query = select(func.count()).where(
            CaseRow.status == "open",
            CaseRow.queue == case.queue,
            CaseRow.id != case.id,
            CaseRow.priority >= case.priority,
            CaseRow.created_at <= case.created_at,
        )
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def claim_waits(self, queue: str, limit: int = 50) -> list[float]:
        query = (
            select(CaseRow.created_at, CaseRow.claimed_at)
            .where(
                CaseRow.queue == queue,
                CaseRow.status.in_(["claimed", "waiting_on_customer", "resolved"]),
                CaseRow.claimed_at.is_not(None),
            )
            .order_by(CaseRow.claimed_at.desc(), CaseRow.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            rows = session.execute(query).all()
        return [(claimed - created).total_seconds() / 60 for created, claimed in rows if claimed]

    def search_cases(self, query: str, limit: int = 50) -> list[Case]:
        if not 1 <= limit <= 200:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, "limit is 1 to 200.")
        with self._session() as session:
            return [to_case(row) for row in search.search_cases(session, query, limit)]

    def earlier_cases(self, case_id: int, limit: int = 20) -> list[Case]:
        with self._session() as session:
            return [to_case(row) for row in search.earlier_cases(session, case_id, limit)]

    def claim(self, case_id: int, agent: str) -> Case:
        agent = required(agent, "The agent")
        with self._session(write=True) as session:
            row = self._transition(
                session, case_id, "claim", agent, [CaseRow.status == "open"],
                status="claimed", claimed_by=agent, claimed_at=self._now(),
            )  # fmt: skip
            outbox.case_event(session, self._now(), "case.claimed", row)
            return to_case(row)

    def release(self, case_id: int, agent: str) -> Case:
        with self._session(write=True) as session:
            row = self._transition(
                session, case_id, "release", agent,
                [CaseRow.status.in_(_WORKING), CaseRow.claimed_by == agent],
                status="open", claimed_by=None, claimed_at=None,
            )  # fmt: skip
            outbox.case_event(session, self._now(), "case.updated", row, "released")
            return to_case(row)

    # Working a case

    def reply(
        self, case_id: int, agent: str, text: str, *, wait_for_customer: bool = True
    ) -> StoredMessage:
        text = required(text, "The reply")
        with self._session(write=True) as session:
            row = self._transition(
                session, case_id, "reply to", agent,
                [CaseRow.status.in_(_WORKING), CaseRow.claimed_by == agent],
                status="waiting_on_customer" if wait_for_customer else "claimed",
            )  # fmt: skip
            return self._insert_message(
                session, row.conversation_id, "agent", text, author=agent, kind="reply"
            )

    def add_note(self, case_id: int, author: str, text: str) -> StoredMessage:
        author = required(author, "The note's author")
        with self._session(write=True) as session:
            row = self._case_row(session, case_id)
            return self._insert_message(
                session, row.conversation_id, "note", text, author=author, kind="note"
            )

    def tag(self, case_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Case:
        with self._session(write=True) as session:
            row = self._case_row(session, case_id, lock=True)
            row.tags = tags_of(set(row.tags).union(tags_of(add)).difference(tags_of(remove)))
            outbox.case_event(session, self._now(), "case.updated", row, "tags")
            return to_case(row)

    def update_summary(
        self,
        case_id: int,
        changes: dict[str, Any],
        *,
        priority: float | None = None,
        reasons: Sequence[str] | None = None,
    ) -> Case:
        with self._session(write=True) as session:
            row = self._case_row(session, case_id, lock=True)
            # A new dict: JSON columns track assignment.
            row.summary = {**row.summary, **privacy.summary(changes)}
            if priority is not None:
                row.priority = priority
            if reasons is not None:
                row.priority_reasons = list(reasons)
            outbox.case_event(session, self._now(), "case.updated", row, "summary")
            return to_case(row)

    def merge(self, case_id: int, into: int, agent: str) -> Case:
        agent = required(agent, "The agent")
        if case_id == into:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, "A case cannot be merged into itself.")
        with self._session(write=True) as session:
            # Lock both rows in id order, so two opposite merges cannot deadlock.
            locked = session.scalars(
                select(CaseRow)
                .where(CaseRow.id.in_([case_id, into]))
                .order_by(CaseRow.id)
                .with_for_update()
            )
            rows = {row.id: row for row in locked}
            duplicate, survivor = rows.get(case_id), rows.get(into)
            if duplicate is None or duplicate.status == "resolved":
                raise refusal(duplicate, case_id, "merge", agent)
            if duplicate.claimed_by not in (None, agent):
                raise refusal(duplicate, case_id, "merge", agent)
            if survivor is None or survivor.status == "resolved":
                raise refusal(survivor, into, "merge into", agent)
            duplicate.status, duplicate.merged_into = "resolved", into
            duplicate.resolution = f"Merged into case {into} as a duplicate."
            duplicate.resolved_at = self._now()
            survivor.tags = tags_of([*survivor.tags, *duplicate.tags])
            session.flush()
            self._insert_message(
                session, survivor.conversation_id, "note",
                f"Case {case_id} (conversation {duplicate.conversation_id}) merged into this "
                f"case by {agent}; its messages appear in this case's transcript.",
                author=agent, own_words=True,
            )  # fmt: skip
            outbox.case_event(session, self._now(), "case.resolved", duplicate, "merged")
            outbox.case_event(session, self._now(), "case.updated", survivor, "merged")
            return to_case(survivor)

    def resolve(self, case_id: int, agent: str, resolution: str) -> Case:
        resolution = required(resolution, "The resolution")
        with self._session(write=True) as session:
            row = self._transition(
                session, case_id, "resolve", agent,
                [CaseRow.status.in_(_WORKING), CaseRow.claimed_by == agent],
                status="resolved", resolution=privacy.resolution(resolution),
                resolved_at=self._now(),
            )  # fmt: skip
            family = [r.conversation_id for r in self._merged_family(session, row.id)]
            self._set_conversation_status(session, family, "resolved")
            outbox.case_event(session, self._now(), "case.resolved", row)
            return to_case(row)

    def reopen(self, case_id: int, agent: str, reason: str = "") -> Case:
        agent = required(agent, "The agent")
        with self._session(write=True) as session:
            row = self._transition(
                session, case_id, "reopen", agent,
                [CaseRow.status == "resolved", CaseRow.merged_into.is_(None)],
                status="open", claimed_by=None, claimed_at=None, resolution=None,
                resolved_at=None,
            )  # fmt: skip
            review.reset(row)
            self._set_conversation_status(session, [row.conversation_id], "handed_off")
            said = privacy.message_text("note", reason.strip()) if reason.strip() else ""
            note = f"Reopened by {agent}" + (f": {said}" if said else ".")
            self._insert_message(
                session, row.conversation_id, "note", note, author=agent, own_words=True
            )
            outbox.case_event(session, self._now(), "case.updated", row, "reopened")
            return to_case(row)

    def case_transcript(self, case_id: int) -> list[StoredMessage]:
        with self._session() as session:
            family = self._merged_family(session, case_id)
            return self._messages(session, [r.conversation_id for r in family], notes=True)

    # Into the knowledge base, through review (review.py)

    def _review(self, case_id: int, agent: str, move: Callable[[CaseRow, str], None]) -> Case:
        agent = required(agent, "The reviewer")
        with self._session(write=True) as session:
            row = self._case_row(session, case_id, lock=True)
            move(row, agent)
            session.flush()
            return to_case(row)

    def nominate(self, case_id: int, agent: str) -> Case:
        return self._review(case_id, agent, lambda row, a: review.nominate(row, a, self._now()))

    def approve(
        self,
        case_id: int,
        agent: str,
        *,
        resolution: str | None = None,
        problem: str | None = None,
    ) -> Case:
        def move(row: CaseRow, a: str) -> None:
            review.approve(row, a, self._now(), resolution, problem)

        return self._review(case_id, agent, move)

    def reject(self, case_id: int, agent: str, reason: str) -> Case:
        reason = required(reason, "The reason")
        return self._review(
            case_id, agent, lambda row, a: review.reject(row, a, self._now(), reason)
        )

    def kb_cases(
        self, status: Sequence[KbStatus] = ("candidate",), limit: int = 1000, offset: int = 0
    ) -> list[Case]:
        query = (
            select(CaseRow)
            .where(CaseRow.kb_status.in_(list(status)))
            .order_by(CaseRow.resolved_at, CaseRow.id)
        )
        with self._session() as session:
            rows = session.scalars(query.limit(_page(limit)).offset(max(offset, 0)))
            return [to_case(row) for row in rows]

    def mark_exported(self, cases: Sequence[Case]) -> int:
        moved = 0
        with self._session(write=True) as session:
            for case in cases:
                statement = (
                    update(CaseRow)
                    .where(
                        CaseRow.id == case.id,
                        CaseRow.kb_status == "approved",
                        CaseRow.kb_reviewed_at == case.kb.reviewed_at,
                    )
                    .values(kb_status="exported")
                    .execution_options(synchronize_session=False)
                )
                moved += cast(CursorResult[Any], session.execute(statement)).rowcount
        return moved

    # Reporting (read-only; statistics and exports)

    def list_conversations(self, limit: int = 1000, offset: int = 0) -> list[Conversation]:
        query = select(ConversationRow).order_by(ConversationRow.created_at, ConversationRow.id)
        with self._session() as session:
            rows = session.scalars(query.limit(_page(limit)).offset(max(offset, 0)))
            return [to_conversation(row) for row in rows]

    def messages_for(
        self, conversation_ids: Sequence[str], *, include_notes: bool = False
    ) -> list[StoredMessage]:
        if not conversation_ids:
            return []
        with self._session() as session:
            return self._messages(session, list(conversation_ids), include_notes)

    def list_all_cases(self, limit: int = 1000, offset: int = 0) -> list[Case]:
        query = select(CaseRow).order_by(CaseRow.created_at, CaseRow.id)
        with self._session() as session:
            rows = session.scalars(query.limit(_page(limit)).offset(max(offset, 0)))
            return [to_case(row) for row in rows]

    def list_feedback(self, limit: int = 1000, offset: int = 0) -> list[Feedback]:
        query = select(FeedbackRow).order_by(FeedbackRow.created_at, FeedbackRow.id)
        with self._session() as session:
            rows = session.scalars(query.limit(_page(limit)).offset(max(offset, 0)))
            return [to_feedback(row) for row in rows]

    def ping(self) -> None:
        with self._session() as session:
            session.execute(text("SELECT 1"))

    def gap_questions(self, since: datetime, until: datetime) -> list[GapQuestion]:
        with self._session() as session:
            return gap_questions(session, since, until)

    def article_use(self, since: datetime, until: datetime) -> list[ArticleUse]:
        try:
            return article_use(self.engine, since, until)
        except (DBAPIError, PoolTimeout) as exc:
            raise unavailable(self.engine, exc) from exc

    def dashboard(
        self,
        since: datetime,
        until: datetime,
        open_hours: Sequence[tuple[datetime, datetime]] | None = None,
    ) -> Dashboard:
        try:
            return DashboardQueries(self.engine).compute(since, until, self._now(), open_hours)
        except (DBAPIError, PoolTimeout) as exc:
            raise unavailable(self.engine, exc) from exc

    # Retention (retention.py)

    def purge(self, before: datetime, *, dry_run: bool = False) -> Erased:
        which = retention.inactive_since(before)
        with self._session(write=not dry_run) as session:
            return retention.delete_conversations(session, which, dry_run)

    def erase_customer(self, email: str, *, dry_run: bool = False) -> Erased:
        which = retention.of_customer(email)
        with self._session(write=not dry_run) as session:
            return retention.delete_conversations(session, which, dry_run)


def _page(limit: int) -> int:
    if not 1 <= limit <= 10_000:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, "A page is 1 to 10000 rows.")
    return limit
