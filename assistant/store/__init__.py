"""Conversations and the hand-off case queue: the `CaseStore` seam and its SQL backend.

    from assistant.store import make_case_store
    store = make_case_store(settings)  # ANSWERDESK_DATABASE_URL, or SQLite in data_dir

`protocol.py` is the seam and its values, `sql.py` the backend (SQLite and PostgreSQL),
`engine.py` the engine, timeouts and migrations (`migrations/`, run on start-up).
"""

from assistant.settings import Settings
from assistant.store.engine import database_url, make_engine, upgrade
from assistant.store.protocol import (
    Case,
    CaseStore,
    Conversation,
    Customer,
    Feedback,
    NewCase,
    NewConversation,
    StoredMessage,
    write_jsonl,
)
from assistant.store.sql import SqlCaseStore

__all__ = [
    "Case",
    "CaseStore",
    "Conversation",
    "Customer",
    "Feedback",
    "NewCase",
    "NewConversation",
    "SqlCaseStore",
    "StoredMessage",
    "database_url",
    "make_case_store",
    "make_engine",
    "upgrade",
    "write_jsonl",
]


def make_case_store(settings: Settings) -> CaseStore:
    """The store the settings name, connected and migrated (the only backend is SQL)."""
    return SqlCaseStore.from_settings(settings)
