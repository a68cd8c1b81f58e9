"""Conversations, their messages and feedback on SQLAlchemy; the plumbing the case store shares.

Every call is one short transaction (`_session`); database failures leave as `AnswerdeskError`.
A conversation's token is random and shown once; only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any, Self, cast

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, aliased, sessionmaker

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.settings import Settings
from assistant.store import outbox, privacy
from assistant.store.engine import (
    WRITE,
    database_url,
    make_engine,
    timeouts,
    unavailable,
    upgrade,
)
from assistant.store.models import CaseRow, ConversationRow, FeedbackRow, MessageRow
from assistant.store.protocol import (
    Conversation,
    ConversationStatus,
    Customer,
    Feedback,
    NewConversation,
    Speaker,
    StoredMessage,
)
from assistant.store.writers import writers_of
from assistant.types import Citation

# A customer message's `meta` key for the client's idempotency key (unique per conversation:
# migration 0004).
CLIENT_KEY = "client_key"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def required(value: str, what: str) -> str:
    if not value or not value.strip():
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, f"{what} must not be empty.")
    return value.strip()


def to_message(row: MessageRow) -> StoredMessage:
    return StoredMessage(
        id=row.id,
        conversation_id=row.conversation_id,
        speaker=cast(Speaker, row.speaker),
        text=row.text,
        created_at=row.created_at,
        author=row.author,
        citations=tuple(Citation(**c) for c in row.citations),
        confidence=row.confidence,
        kind=row.kind or "",
        meta=dict(row.meta or {}),
    )


def to_conversation(row: ConversationRow) -> Conversation:
    status = cast(ConversationStatus, row.status)
    known = {f.name for f in fields(Customer)}  # ignore keys a newer version may have stored
    values = {k: v for k, v in row.customer.items() if k in known}
    customer = Customer(
        **{k: str(v) for k, v in values.items() if k != "verified"},
        verified=values.get("verified") is True,
    )
    return Conversation(row.id, customer, status, row.created_at, row.agent_typing_at)


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(
        row.conversation_id, row.created_at, row.helpful, row.csat, row.comment, row.message_id
    )


class SqlConversationStore:
    """The `ConversationStore` on one engine, shared by the threads of a worker."""

    def __init__(self, engine: Engine, now: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._now = now or (lambda: datetime.now(UTC))
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(**{WRITE: True}), expire_on_commit=False
        )
        self._shared = threading.local()  # the session of a `reading()` or `writing()` block
        self._writers = writers_of(engine)  # SQLite: writers take turns (`writers.py`)

    @classmethod
    def open(cls, url: str, **timeouts: float) -> Self:
        """Connect and migrate the schema: what the server and CLI do on start-up."""
        engine = make_engine(url, **timeouts)
        try:
            upgrade(engine)
        except AnswerdeskError:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls.open(database_url(settings), **timeouts(settings))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """The reads inside share one session: one transaction, one snapshot, and a row read
        twice (the conversation each read checks) is read once."""
        if getattr(self._shared, "session", None) is not None:
            yield  # already inside one
            return
        with self._session() as session:
            self._shared.session = session
            try:
                yield
            finally:
                self._shared.session = None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The writes inside share one transaction, and the reads see them: a hand-off opens its
        case and then reads where it stands in the queue."""
        if getattr(self._shared, "writer", None) is not None:
            yield  # already inside one
            return
        with self._session(write=True) as session:
            self._shared.writer = session
            try:
                yield
            finally:
                self._shared.writer = None

    @contextmanager
    def _session(self, write: bool = False, *, guarded: bool = False) -> Iterator[Session]:
        """`guarded`: a write whose conflict the caller recovers from (another turn opened the
        case meanwhile); inside a `writing()` block it gets a savepoint, so the rest of the
        block's writes survive its failure."""
        shared = getattr(self._shared, "writer", None) or (
            None if write else getattr(self._shared, "session", None)
        )
        if shared is not None and not guarded:
            yield shared
            return
        try:
            if shared is not None:
                with shared.begin_nested():
                    yield shared
                return
            if write and self._writers is not None:
                with self._writers, self._write.begin() as session:
                    yield session
                return
            with (self._write if write else self._read).begin() as session:
                yield session
        except IntegrityError as exc:
            raise _conflict(exc) from exc
        except (DBAPIError, PoolTimeout) as exc:
            raise unavailable(self.engine, exc) from exc

    def _conversation_row(self, session: Session, conversation_id: str) -> ConversationRow:
        row = self._get_conversation(session, conversation_id)
        if row is None:
            raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No conversation {conversation_id}.")
        return row

    @staticmethod
    def _get_conversation(session: Session, conversation_id: str) -> ConversationRow | None:
        row = session.get(ConversationRow, conversation_id)
        # The session's identity map holds rows weakly: kept here, the next read of the same
        # conversation in this session (a `reading()` block) comes from it, not the database.
        session.info.setdefault("conversations", {})[conversation_id] = row
        return row

    def _insert_message(
        self,
        session: Session,
        conversation_id: str,
        speaker: Speaker,
        text: str,
        *,
        own_words: bool = False,
        **more: Any,
    ) -> StoredMessage:
        """Every message is written here, redacted for its speaker (`privacy.py`) unless it is
        the store's `own_words` (a merge note: ids and names of agents, nothing typed)."""
        text = required(text, "The message")
        row = MessageRow(
            conversation_id=conversation_id,
            speaker=speaker,
            text=text if own_words else privacy.message_text(speaker, text),
            citations=[asdict(c) for c in more.pop("citations", ())],
            created_at=self._now(),
            **more,
        )
        session.add(row)
        session.flush()
        outbox.record(
            session, row.created_at, "message.created", conversation_id,
            outbox.case_of(session, conversation_id), outbox.message_data(row),
        )  # fmt: skip
        return to_message(row)

    def _messages(
        self, session: Session, conversation_ids: Sequence[str], notes: bool
    ) -> list[StoredMessage]:
        query = select(MessageRow).where(MessageRow.conversation_id.in_(conversation_ids))
        if not notes:
            query = query.where(MessageRow.speaker != "note")
        rows = session.scalars(query.order_by(MessageRow.created_at, MessageRow.id))
        return [to_message(row) for row in rows]

    def create_conversation(self, customer: Customer) -> NewConversation:
        token = secrets.token_urlsafe(32)
        row = ConversationRow(
            id=uuid.uuid4().hex,
            token_hash=_token_hash(token),
            customer=asdict(customer),
            status="active",
            created_at=self._now(),
        )
        with self._session(write=True) as session:
            session.add(row)
        return NewConversation(row.id, token)

    def conversation(self, conversation_id: str, token: str | None = None) -> Conversation:
        with self._session() as session:
            row = self._get_conversation(session, conversation_id)
            if row is None or (
                token is not None and not hmac.compare_digest(row.token_hash, _token_hash(token))
            ):
                raise AnswerdeskError(
                    ErrorCode.NOT_FOUND,
                    f"No conversation {conversation_id} with this token; start a new one.",
                )
            return to_conversation(row)

    def new_token(self, conversation_id: str) -> str:
        """Replace the conversation's token (an email link reopens it on another device): the
        old one opens it no more."""
        token = secrets.token_urlsafe(32)
        with self._session(write=True) as session:
            self._conversation_row(session, conversation_id).token_hash = _token_hash(token)
        return token

    def add_message(
        self,
        conversation_id: str,
        speaker: Speaker,
        text: str,
        *,
        author: str = "",
        citations: Sequence[Citation] = (),
        confidence: float | None = None,
        kind: str = "",
        meta: dict[str, Any] | None = None,
    ) -> StoredMessage:
        if speaker not in ("customer", "assistant"):
            raise AnswerdeskError(
                ErrorCode.INVALID_INPUT,
                f"add_message takes customer or assistant messages, not {speaker!r}: agents "
                "write through reply() or add_note() on the case.",
            )
        if confidence is not None and not 0 <= confidence <= 1:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, "confidence must be within [0, 1].")
        with self._session(write=True) as session:
            self._conversation_row(session, conversation_id)
            message = self._insert_message(
                session,
                conversation_id,
                speaker,
                text,
                author=author,
                citations=citations,
                confidence=confidence,
                kind=kind or ("message" if speaker == "customer" else "answer"),
                meta=dict(meta or {}),
            )
            if speaker == "customer":  # the customer answered: the case is back on the desk
                session.execute(
                    update(CaseRow)
                    .where(
                        CaseRow.conversation_id == conversation_id,
                        CaseRow.status == "waiting_on_customer",
                    )
                    .values(status="claimed")
                    .execution_options(synchronize_session=False)
                )
            return message

    def transcript(
        self, conversation_id: str, *, include_notes: bool = False
    ) -> list[StoredMessage]:
        with self._session() as session:
            self._conversation_row(session, conversation_id)
            return self._messages(session, [conversation_id], include_notes)

    def add_feedback(
        self,
        conversation_id: str,
        *,
        helpful: bool | None = None,
        csat: int | None = None,
        comment: str = "",
        message_id: int | None = None,
    ) -> Feedback:
        if csat is not None and not (isinstance(csat, int) and 1 <= csat <= 5):
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, f"CSAT is 1 to 5, not {csat!r}.")
        if helpful is None and csat is None and not comment.strip():
            raise AnswerdeskError(
                ErrorCode.INVALID_INPUT, "Feedback needs `helpful`, a `csat` score or a comment."
            )
        with self._session(write=True) as session:
            self._conversation_row(session, conversation_id)
            if message_id is not None:
                message = session.get(MessageRow, message_id)
                if message is None or message.conversation_id != conversation_id:
                    raise AnswerdeskError(
                        ErrorCode.NOT_FOUND,
                        f"No message {message_id} in conversation {conversation_id}.",
                    )
            row = FeedbackRow(
                conversation_id=conversation_id,
                message_id=message_id,
                helpful=helpful,
                csat=csat,
                comment=privacy.feedback_comment(comment.strip()),
                created_at=self._now(),
            )
            session.add(row)
            session.flush()
            outbox.record(
                session, row.created_at, "feedback.created", conversation_id,
                outbox.case_of(session, conversation_id), outbox.feedback_data(row),
            )  # fmt: skip
            return _feedback(row)

    def feedback(self, conversation_id: str) -> list[Feedback]:
        with self._session() as session:
            self._conversation_row(session, conversation_id)
            query = select(FeedbackRow).where(FeedbackRow.conversation_id == conversation_id)
            return [_feedback(row) for row in session.scalars(query.order_by(FeedbackRow.id))]

    # --- idempotent messages and their recovery (server/inbox.py, server/recovery.py) -------

    def message_by_key(self, conversation_id: str, key: str) -> StoredMessage | None:
        """The customer message of this conversation sent with client key `key`, if any."""
        query = select(MessageRow).where(
            MessageRow.conversation_id == conversation_id,
            MessageRow.speaker == "customer",
            MessageRow.meta[CLIENT_KEY].as_string() == key,
        )
        with self._session() as session:
            row = session.scalars(query.limit(1)).first()
            return to_message(row) if row is not None else None

    def annotate_message(self, message_id: int, meta: dict[str, Any]) -> StoredMessage:
        """Add `meta` to a stored message's meta (what a turn learnt about it); the text stays."""
        with self._session(write=True) as session:
            row = session.get(MessageRow, message_id)
            if row is None:
                raise AnswerdeskError(ErrorCode.NOT_FOUND, f"No message {message_id}.")
            row.meta = {**(row.meta or {}), **meta}
            session.flush()
            return to_message(row)

    def unanswered(
        self,
        before: datetime,
        *,
        since: datetime | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[StoredMessage]:
        """Customer messages sent before `before` (and at or after `since`) that nobody will
        answer: the last word of their conversation (notes aside), with no case alive then or
        since (a person reads those). Oldest first, ids above `after_id`, at most `limit`."""
        later = aliased(MessageRow)
        answered = select(later.id).where(
            later.conversation_id == MessageRow.conversation_id,
            later.id > MessageRow.id,
            later.speaker != "note",
        )
        seen_by_a_person = select(CaseRow.id).where(
            CaseRow.conversation_id == MessageRow.conversation_id,
            or_(CaseRow.resolved_at.is_(None), CaseRow.resolved_at > MessageRow.created_at),
        )
        query = select(MessageRow).where(
            MessageRow.speaker == "customer",
            MessageRow.created_at < before,
            MessageRow.id > after_id,
            ~answered.exists(),
            ~seen_by_a_person.exists(),
        )
        if since is not None:
            query = query.where(MessageRow.created_at >= since)
        with self._session() as session:
            rows = session.scalars(query.order_by(MessageRow.id).limit(limit))
            return [to_message(row) for row in rows]


def _conflict(exc: IntegrityError) -> AnswerdeskError:
    reason = str(exc.orig).strip().splitlines()[0]
    return AnswerdeskError(
        ErrorCode.CONFLICT,
        "This conversation already has an unresolved case; work on that one."
        if "uq_cases_active_conversation" in reason or "cases.conversation_id" in reason
        else f"The change conflicts with the stored data: {reason}",
    )
