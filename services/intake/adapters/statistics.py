"""Statistics from the read model: the applications decided in a period, and their filings."""

from __future__ import annotations

from datetime import date

import asyncpg

from contracts.calendar import WorkingCalendar
from contracts.catalog import Catalog, UnknownMatter
from contracts.departments import DEPARTMENTS
from eventlog.store import Connection
from services.intake.domain.statistics import (
    Decided,
    completed_subtask,
    decided_application,
    period_bounds,
)
from services.intake.domain.stats_report import StatsReport, stats_report

_DECIDED = """
    SELECT a.application_id, a.matter, a.outcome->>'decision' AS decision,
           (a.outcome->>'working_days')::float8 AS working_days,
           (a.outcome->>'on_time')::boolean AS on_time, a.rating, a.rating_recorded_by,
           a.brought_materials, a.obtained_materials,
           (SELECT count(*) FROM visits v WHERE v.application_id = a.application_id) AS visits,
           ARRAY(SELECT DISTINCT f.department FROM filings f
                 WHERE f.application_id = a.application_id AND f.dispatched_at IS NOT NULL
                 ORDER BY 1) AS departments
    FROM applications a
    WHERE a.submitted_at IS NOT NULL AND a.outcome_at >= $1
      AND ($2::timestamptz IS NULL OR a.outcome_at < $2)
      AND ($3::text IS NULL OR a.matter = $3)
"""
_COMPLETED = """
    SELECT department, dispatched_at, completed_at, due_at FROM filings
    WHERE application_id = ANY($1::uuid[]) AND dispatched_at IS NOT NULL
      AND completed_at IS NOT NULL
"""


async def statistics(
    db: asyncpg.Pool | Connection,
    catalog: Catalog,
    calendar: WorkingCalendar,
    period: tuple[date, date],
    matter: str | None = None,
) -> StatsReport:
    """Applications whose outcome was decided on the local days `period` (inclusive)."""
    start, end = period_bounds(*period, calendar.zone)
    rows = await db.fetch(_DECIDED, start, end, matter)
    applications = [_decided(catalog, row) for row in rows]
    filings = await db.fetch(_COMPLETED, [row["application_id"] for row in rows])
    subtasks = [
        completed_subtask(
            calendar, f["department"], f["dispatched_at"], f["completed_at"], f["due_at"]
        )
        for f in filings
    ]
    names = {**{code: m.name for code, m in catalog.matters.items()}, **DEPARTMENTS}
    return stats_report(period, calendar.zone.key, matter, applications, subtasks, names)


def _decided(catalog: Catalog, row: asyncpg.Record) -> Decided:
    try:
        matter = catalog.matter(row["matter"])
    except UnknownMatter:
        matter = None
    return decided_application(
        row["matter"],
        matter,
        decision=row["decision"],
        working_days=row["working_days"],
        on_time=row["on_time"],
        visits=row["visits"],
        rating=row["rating"],
        recorded_by=row["rating_recorded_by"],
        brought=row["brought_materials"],
        departments=row["departments"],
        obtained=row["obtained_materials"],
    )
