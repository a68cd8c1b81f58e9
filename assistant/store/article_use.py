"""How each knowledge-base document served customers over a date range, by SQL aggregates.

Per cited document: the answers that cited it, the conversations they were in, thumbs up and
down on those answers, and how many of those conversations failed anyway: handed off, or an
answer in them marked unhelpful. Resolution when cited = 1 − failed ÷ conversations. The
server adds what the index knows (title, last updated) and lists stale documents first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, text

from assistant.store.dashboard import POSTGRES, SQLITE, flag
from assistant.store.models import UtcDateTime


@dataclass(frozen=True)
class ArticleUse:
    document_id: str
    citations: int  # answers citing it
    conversations: int
    helpful: int  # thumbs up on those answers
    unhelpful: int
    failed: int  # of those conversations: handed off, or an answer marked unhelpful

    @property
    def resolution_rate(self) -> float | None:
        return 1 - self.failed / self.conversations if self.conversations else None


def article_use(engine: Engine, since: datetime, until: datetime) -> list[ArticleUse]:
    d = POSTGRES if engine.dialect.name == "postgresql" else SQLITE
    failed = flag(
        "EXISTS (SELECT 1 FROM cases k WHERE k.conversation_id = pc.conversation_id) OR "
        "EXISTS (SELECT 1 FROM feedback f WHERE f.conversation_id = pc.conversation_id "
        "AND f.helpful = false)"
    )
    sql = f"""
    WITH cited AS (
        SELECT DISTINCT m.id AS message_id, m.conversation_id, {d.cited} AS document_id
        FROM messages m, {d.citations}
        WHERE m.speaker = 'assistant' AND m.created_at >= :since AND m.created_at < :until
    ),
    per_conversation AS (
        SELECT pc.document_id, {failed} AS failed
        FROM (SELECT DISTINCT conversation_id, document_id FROM cited) AS pc
    ),
    thumbs AS (
        SELECT c.document_id, sum({flag("f.helpful = true")}) AS up,
               sum({flag("f.helpful = false")}) AS down
        FROM cited c JOIN feedback f ON f.message_id = c.message_id
        GROUP BY c.document_id
    ),
    cites AS (SELECT document_id, count(*) AS n FROM cited GROUP BY document_id),
    outcomes AS (
        SELECT document_id, count(*) AS n, sum(failed) AS failed
        FROM per_conversation GROUP BY document_id
    )
    SELECT cites.document_id, cites.n, outcomes.n, COALESCE(thumbs.up, 0),
           COALESCE(thumbs.down, 0), outcomes.failed
    FROM cites JOIN outcomes ON outcomes.document_id = cites.document_id
    LEFT JOIN thumbs ON thumbs.document_id = cites.document_id
    ORDER BY outcomes.failed DESC, cites.n DESC, cites.document_id
    """
    statement = text(sql).bindparams(
        bindparam("since", type_=UtcDateTime()), bindparam("until", type_=UtcDateTime())
    )
    with engine.connect() as connection:
        rows = connection.execute(statement, {"since": since, "until": until})
        return [ArticleUse(str(r[0]), *(int(v or 0) for v in r[1:])) for r in rows]
