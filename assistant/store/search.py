"""Finding cases for agents: by words said in the conversation (full-text, migration 0009),
by the customer (email or account id), by the case's issue or number; and a customer's earlier
cases.

Words are matched whole, every word of the query in the same message (SQLite FTS5; PostgreSQL's
`simple` text search: no stemming, so product names and error codes match as typed). Earlier
cases are shown only for a verified customer: an address the browser merely claims must not
open someone else's history to the agent (or to whoever typed it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_, select, text
from sqlalchemy.orm import Session

from assistant.store.models import CaseRow, ConversationRow, MessageRow

MAX_TERMS = 8
_WORD = re.compile(r"[^\W_]+(?:[-.'][^\W_]+)*", re.UNICODE)


def terms(query: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(query)][:MAX_TERMS]


def _said(session: Session, words: Sequence[str]) -> ColumnElement[bool]:
    """Conversations with a message holding every word."""
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join('"' + w.replace('"', "") + '"' for w in words)
        ids = (
            select(text("rowid"))
            .select_from(text("messages_fts"))
            .where(text("messages_fts MATCH :match").bindparams(match=match))
        )
        found = select(MessageRow.conversation_id).where(MessageRow.id.in_(ids))
    else:
        vector = func.to_tsvector("simple", MessageRow.text)
        query = func.plainto_tsquery("simple", " ".join(words))
        found = select(MessageRow.conversation_id).where(vector.op("@@")(query))
    return CaseRow.conversation_id.in_(found)


def search_cases(session: Session, query: str, limit: int) -> list[CaseRow]:
    """Cases whose conversation said every word, whose customer is the address or account
    asked, whose issue mentions it, or whose number it is; newest first."""
    words = terms(query)
    if not words:
        return []
    phrase = " ".join(words)
    customer = ConversationRow.customer
    who = select(ConversationRow.id).where(
        or_(
            func.lower(customer["email"].as_string()) == query.strip().lower(),
            customer["id"].as_string() == query.strip(),
        )
    )
    issue = func.lower(CaseRow.summary["issue"].as_string()).contains(phrase)
    matches = [_said(session, words), CaseRow.conversation_id.in_(who), issue]
    number = query.strip().lstrip("#")
    if number.isdigit() and len(number) < 10:
        matches.append(CaseRow.id == int(number))
    found = select(CaseRow).where(or_(*matches)).order_by(CaseRow.created_at.desc(), CaseRow.id)
    return list(session.scalars(found.limit(limit)))


def earlier_cases(session: Session, case_id: int, limit: int) -> list[CaseRow]:
    """The verified customer's other cases, newest first; none for an unverified customer."""
    row = session.execute(
        select(ConversationRow.customer)
        .join(CaseRow, CaseRow.conversation_id == ConversationRow.id)
        .where(CaseRow.id == case_id)
    ).scalar_one_or_none()
    if not row or not row.get("verified") or not (row.get("id") or row.get("email")):
        return []
    customer = ConversationRow.customer
    same = [customer["verified"].as_boolean().is_(True)]
    if row.get("id"):
        same.append(customer["id"].as_string() == str(row["id"]))
    else:
        same.append(func.lower(customer["email"].as_string()) == str(row["email"]).lower())
    theirs = select(ConversationRow.id).where(*same)
    query = (
        select(CaseRow)
        .where(CaseRow.conversation_id.in_(theirs), CaseRow.id != case_id)
        .order_by(CaseRow.created_at.desc(), CaseRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
