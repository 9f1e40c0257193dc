"""Reading the read model: pages of applications, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from eventlog.store import Connection
from services.intake.adapters.queries import SUMMARY_COLUMNS, summary_of
from services.intake.domain.callers import Caller
from services.intake.domain.views import ApplicationPage


async def list_applications(
    db: asyncpg.Pool | Connection,
    caller: Caller,
    *,
    matter: str | None,
    status: str | None,
    submitted_from: datetime | None,
    submitted_to: datetime | None,
    to_inclusive: bool,
    limit: int,
    offset: int,
) -> ApplicationPage:
    where = ["submitted_at IS NOT NULL"]
    args: list[Any] = []

    def condition(sql: str, value: Any) -> None:
        args.append(value)
        where.append(sql.replace("?", f"${len(args)}"))

    if not caller.sees_all:
        condition("client_id = ?", caller.client_id)
    if matter is not None:
        condition("matter = ?", matter)
    if status is not None:
        condition("status = ?", status)
    if submitted_from is not None:
        condition("submitted_at >= ?", submitted_from)
    if submitted_to is not None:
        condition("submitted_at <= ?" if to_inclusive else "submitted_at < ?", submitted_to)
    clause = " AND ".join(where)
    total = await db.fetchval(f"SELECT count(*) FROM applications WHERE {clause}", *args)
    rows = await db.fetch(
        f"SELECT {SUMMARY_COLUMNS} FROM applications WHERE {clause}"
        f" ORDER BY submitted_at DESC, application_id DESC"
        f" LIMIT {int(limit)} OFFSET {int(offset)}",
        *args,
    )
    more = offset + len(rows) < total
    return ApplicationPage(
        items=[summary_of(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + len(rows) if more else None,
    )
