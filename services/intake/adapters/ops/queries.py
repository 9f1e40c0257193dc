"""The ops console's reads of the read model: applications in flight, clock alerts still
running, and each department's backlog."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from eventlog.store import Connection
from services.intake.domain.ops.views import (
    HELD_BY_DEPARTMENT,
    Backlog,
    ClockAlert,
    InFlight,
    SubtaskLine,
    holder,
    in_order,
)
from services.intake.domain.progress import CLOSED

Db = asyncpg.Pool | Connection
OrderOf = Callable[[str | None], Sequence[str]]  # a matter's sub-tasks in catalog order
_CLOSED = sorted(CLOSED)
_HELD = list(HELD_BY_DEPARTMENT)
# The sub-task's latest dispatch is its state (see filings.py).
CURRENT = """
    SELECT DISTINCT ON (f.application_id, f.subtask) f.application_id, f.subtask,
           f.department, f.status, f.legacy_receipt, f.dispatched_at, f.due_at
    FROM filings f WHERE f.dispatched_at IS NOT NULL AND {where}
    ORDER BY f.application_id, f.subtask, f.dispatched_at DESC, f.filing_key DESC
"""
_ALERTS = f"""
    WITH alerts AS (
        SELECT application_id, clock, clock_id, limit_kind, max(department) AS department,
               (array_agg(started_at ORDER BY occurred_at DESC, event_id DESC))[1] AS started_at,
               (array_agg(due_at ORDER BY occurred_at DESC, event_id DESC))[1] AS due_at,
               min(occurred_at) FILTER (WHERE alert = 'warned') AS warned_at,
               min(occurred_at) FILTER (WHERE alert = 'exceeded') AS exceeded_at
        FROM clock_alerts WHERE {{where}} GROUP BY application_id, clock, clock_id, limit_kind
    ), current AS ({CURRENT.format(where="f.application_id IN (SELECT application_id FROM alerts)")}
    )
    SELECT al.*, a.receipt_number FROM alerts al JOIN applications a USING (application_id)
    WHERE CASE al.clock
        WHEN 'follow-up' THEN NOT EXISTS (SELECT 1 FROM follow_ups u
                                          WHERE u.case_id = al.clock_id AND u.closed_at IS NOT NULL)
        WHEN 'subtask' THEN a.status <> ALL($1) AND EXISTS (SELECT 1 FROM current c
            WHERE c.application_id = al.application_id AND c.subtask = al.clock_id
            AND c.status = ANY($2))
        WHEN 'supplement' THEN a.status <> ALL($1) AND a.notice_id = al.clock_id
                               AND NOT al.clock_id = ANY(a.answered_notices)
        WHEN 'deficiency' THEN a.status <> ALL($1)
                               AND NOT a.deferred_materials <@ a.handed_in_materials
        ELSE a.status <> ALL($1) END
    ORDER BY al.exceeded_at IS NULL, al.due_at, a.receipt_number, al.clock, al.clock_id
    LIMIT 500
"""
_BACKLOG = f"""
    WITH current AS ({
    CURRENT.format(
        where="f.application_id IN (SELECT application_id"
        " FROM applications WHERE status <> ALL($1))"
    )
})
    SELECT department, count(*) FILTER (WHERE status = 'dispatched') AS dispatched,
           count(*) FILTER (WHERE status = 'accepted') AS accepted,
           min(dispatched_at) AS oldest_since, count(*) FILTER (WHERE due_at < $3) AS overdue
    FROM current WHERE status = ANY($2) GROUP BY department ORDER BY department
"""


async def in_flight(db: Db, order_of: OrderOf, limit: int = 500) -> tuple[list[InFlight], int]:
    """The oldest `limit` applications not decided, and how many there are in all."""
    where = "submitted_at IS NOT NULL AND status <> ALL($1)"
    total = await db.fetchval(f"SELECT count(*) FROM applications WHERE {where}", _CLOSED)
    rows = await db.fetch(
        "SELECT application_id, receipt_number, matter, status, submitted_at, notice_due_at"
        f" FROM applications WHERE {where} ORDER BY submitted_at, application_id"
        f" LIMIT {int(limit)}",
        _CLOSED,
    )
    lines = await subtasks_of(db, [r["application_id"] for r in rows])
    applications = [
        InFlight(
            r["application_id"],
            r["receipt_number"],
            r["matter"],
            r["status"],
            r["submitted_at"],
            r["notice_due_at"] if r["status"] == "supplement_requested" else None,
            in_order(lines.get(r["application_id"], []), order_of(r["matter"])),
        )
        for r in rows
    ]
    return applications, total


async def subtasks_of(db: Db, applications: Sequence[UUID]) -> dict[UUID, list[SubtaskLine]]:
    rows = await db.fetch(CURRENT.format(where="f.application_id = ANY($1)"), list(applications))
    lines: dict[UUID, list[SubtaskLine]] = {}
    for r in sorted(rows, key=lambda r: (r["dispatched_at"], r["subtask"])):
        lines.setdefault(r["application_id"], []).append(
            SubtaskLine(
                r["subtask"],
                r["department"],
                r["status"],
                r["legacy_receipt"],
                r["dispatched_at"],
                r["due_at"],
            )
        )
    return lines


async def clock_alerts(db: Db, application_id: UUID | None = None) -> list[ClockAlert]:
    """Warnings and overdues of clocks still running, overdue first; of one application or
    of all."""
    if application_id is None:
        rows = await db.fetch(_ALERTS.format(where="true"), _CLOSED, _HELD)
    else:
        query = _ALERTS.format(where="application_id = $3")
        rows = await db.fetch(query, _CLOSED, _HELD, application_id)
    lines = await subtasks_of(db, sorted({r["application_id"] for r in rows}))
    return [
        ClockAlert(
            r["application_id"],
            r["receipt_number"] or "—",
            r["clock"],
            r["clock_id"],
            r["limit_kind"],
            holder(
                r["clock"],
                r["department"],
                [
                    s.department
                    for s in lines.get(r["application_id"], ())
                    if s.status in HELD_BY_DEPARTMENT
                ],
            ),
            r["started_at"],
            r["due_at"],
            r["warned_at"],
            r["exceeded_at"],
        )
        for r in rows
    ]


async def backlogs(db: Db, now: datetime) -> list[Backlog]:
    rows = await db.fetch(_BACKLOG, _CLOSED, _HELD, now)
    return [
        Backlog(r["department"], r["dispatched"], r["accepted"], r["oldest_since"], r["overdue"])
        for r in rows
    ]
