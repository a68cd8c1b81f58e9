"""API keys for agents and admins: created once, shown once, stored as a SHA-256.

    keys = ApiKeys(engine)                      # the case store's engine
    new = keys.create("alice", "agent")         # new.key is printed once, never stored
    keys.verify(new.key)                        # ApiKey(name="alice", role="agent", ...) or None
    keys.revoke("alice")

A key is 32 random bytes, so a plain SHA-256 is enough to store it safely (no slow hash is
needed against guessing); looking it up by its hash also keeps the comparison constant-time
with respect to the key. An admin can do everything an agent can.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, cast

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.engine import WRITE, unavailable
from assistant.store.models import API_KEY_ROLES, ApiKeyRow

Role = Literal["agent", "admin"]
KEY_PREFIX = "adk_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


@dataclass(frozen=True)
class ApiKey:
    name: str
    role: Role
    prefix: str  # the first characters of the key, to tell keys apart in a list
    created_at: datetime
    revoked_at: datetime | None = None

    def allows(self, role: Role) -> bool:
        return self.role == "admin" or self.role == role


@dataclass(frozen=True)
class NewApiKey:
    """The key itself exists only here: show it once."""

    key: str
    api_key: ApiKey


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(row.name, cast(Role, row.role), row.prefix, row.created_at, row.revoked_at)


class ApiKeys:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(**{WRITE: True}), expire_on_commit=False
        )

    @contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        try:
            with (self._write if write else self._read).begin() as session:
                yield session
        except IntegrityError as exc:
            raise AnswerdeskError(
                ErrorCode.CONFLICT, "A key with this name exists; revoke it or pick another name."
            ) from exc
        except (DBAPIError, PoolTimeout) as exc:
            raise unavailable(self.engine, exc) from exc

    def create(self, name: str, role: str) -> NewApiKey:
        name = name.strip()
        if not _NAME.match(name):
            raise AnswerdeskError(
                ErrorCode.INVALID_INPUT,
                f"Key name {name!r}: use 1-100 letters, digits, '.', '_', '@' or '-' (the name "
                "is the agent's name in cases and notes).",
            )
        if role not in API_KEY_ROLES:
            raise AnswerdeskError(
                ErrorCode.INVALID_INPUT, f"Role {role!r}: use one of {', '.join(API_KEY_ROLES)}."
            )
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            name=name,
            role=role,
            key_hash=key_hash(key),
            prefix=key[: len(KEY_PREFIX) + 6],
            created_at=datetime.now(UTC),
        )
        with self._session(write=True) as session:
            active = session.scalars(
                select(ApiKeyRow.id).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
            ).first()
            if active is not None:
                raise AnswerdeskError(
                    ErrorCode.CONFLICT,
                    f"A key named {name!r} exists; revoke it first "
                    f"(`answerdesk keys revoke {name}`) or pick another name.",
                )
            session.add(row)
            session.flush()
            return NewApiKey(key, _api_key(row))

    def verify(self, key: str) -> ApiKey | None:
        """The key's owner, or None for an unknown or revoked key."""
        if not key.startswith(KEY_PREFIX):
            return None  # not ours: no need to ask the database
        with self._session() as session:
            row = session.scalars(
                select(ApiKeyRow).where(
                    ApiKeyRow.key_hash == key_hash(key), ApiKeyRow.revoked_at.is_(None)
                )
            ).one_or_none()
            return _api_key(row) if row else None

    def list_keys(self, include_revoked: bool = False) -> list[ApiKey]:
        query = select(ApiKeyRow).order_by(ApiKeyRow.name, ApiKeyRow.id)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        with self._session() as session:
            return [_api_key(row) for row in session.scalars(query)]

    def revoke(self, name: str) -> ApiKey:
        with self._session(write=True) as session:
            row = session.scalars(
                select(ApiKeyRow).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
            ).one_or_none()
            if row is None:
                raise AnswerdeskError(
                    ErrorCode.NOT_FOUND,
                    f"No active key named {name!r}; see `answerdesk keys list`.",
                )
            row.revoked_at = datetime.now(UTC)
            session.flush()
            return _api_key(row)
