"""Follow-up cases of low ratings (差评整改): a clerk's list, and the case a close locks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from eventlog.store import Connection
from services.intake.domain.aftercare import (
    FollowUpPage,
    FollowUpState,
    FollowUpView,
    follow_up_state,
)

FOLLOW_UP_COLUMNS = (
    "case_id, application_id, rating, comment, time_limit_days, opened_at, recorded_by,"
    " closed_at,"
    " response, clerk, warned_at, exceeded_at"
)
_STATE_SQL: dict[FollowUpState, str] = {
    "open": "closed_at IS NULL AND exceeded_at IS NULL",
    "overdue": "closed_at IS NULL AND exceeded_at IS NOT NULL",
    "closed": "closed_at IS NOT NULL",
}


@dataclass(frozen=True)
class FollowUpCase:
    application_id: UUID
    closed: bool


def follow_up_view(row: asyncpg.Record) -> FollowUpView:
    state = follow_up_state(row["closed_at"], row["exceeded_at"])
    return FollowUpView(**dict(row), state=state)


async def list_follow_ups(
    db: asyncpg.Pool | Connection, state: FollowUpState | None, limit: int, offset: int
) -> FollowUpPage:
    where = "opened_at IS NOT NULL" + (f" AND {_STATE_SQL[state]}" if state else "")
    total: int = await db.fetchval(f"SELECT count(*) FROM follow_ups WHERE {where}")
    rows = await db.fetch(
        f"SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE {where}"
        f" ORDER BY opened_at, case_id LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    more = offset + len(rows) < total
    return FollowUpPage(
        items=[follow_up_view(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + len(rows) if more else None,
    )


async def find_case(db: asyncpg.Pool | Connection, case_id: str) -> FollowUpCase | None:
    row: Any = await db.fetchrow(
        "SELECT application_id, closed_at IS NOT NULL AS closed FROM follow_ups"
        " WHERE case_id = $1 AND opened_at IS NOT NULL",
        case_id,
    )
    return None if row is None else FollowUpCase(row["application_id"], row["closed"])
