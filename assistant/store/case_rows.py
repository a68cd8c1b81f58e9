"""Case rows as the seam's typed values, and the words for a refused move (`sql.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store import review
from assistant.store.models import CaseRow
from assistant.store.protocol import Case, CaseStatus


def tags_of(values: Iterable[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v and v.strip()})


def to_case(row: CaseRow) -> Case:
    return Case(
        id=row.id,
        conversation_id=row.conversation_id,
        status=cast(CaseStatus, row.status),
        priority=row.priority,
        priority_reasons=tuple(row.priority_reasons),
        category=row.category,
        queue=row.queue,
        summary=row.summary,
        tags=tuple(row.tags),
        created_at=row.created_at,
        sla_due_at=row.sla_due_at,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        resolution=row.resolution,
        merged_into=row.merged_into,
        resolved_at=row.resolved_at,
        kb=review.to_review(row),
    )


def refusal(row: CaseRow | None, case_id: int, action: str, agent: str) -> AnswerdeskError:
    """Why a conditional update changed nothing, in words the agent can act on."""
    if row is None:
        return AnswerdeskError(ErrorCode.NOT_FOUND, f"No case {case_id}.")
    if row.merged_into is not None:
        message = f"Case {case_id} was merged into case {row.merged_into}; work on that case."
    elif row.status == "resolved":
        message = f"Case {case_id} is already resolved; reopen it first to {action} it."
    elif action == "reopen":
        message = f"Case {case_id} is {row.status}, not resolved: there is nothing to reopen."
    elif action == "claim":
        message = f"Case {case_id} is already claimed by {row.claimed_by}; pick another case."
    elif row.status == "open":
        message = f"Case {case_id} is not claimed; claim it before you {action} it."
    else:
        message = (
            f"Case {case_id} is claimed by {row.claimed_by}, not {agent}; only they can "
            f"{action} it (until they release it)."
        )
    return AnswerdeskError(ErrorCode.CONFLICT, message)
