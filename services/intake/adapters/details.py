"""The aftercare parts of an application's view: visits, deferred materials, the
held result, clock alerts, collection, evaluation and follow-ups."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from eventlog.store import Connection
from services.intake.adapters.follow_ups import FOLLOW_UP_COLUMNS, follow_up_view
from services.intake.domain.aftercare import (
    ClockView,
    CollectionView,
    DeferredView,
    EvaluationView,
    HeldView,
    owed,
)
from services.intake.domain.progress import CLOSED

# One line per clock and limit: its latest deadline, when it was first warned and exceeded.
_CLOCKS = """
    SELECT clock, clock_id, limit_kind AS limit, max(department) AS department,
           max(limit_days) AS limit_days,
           (array_agg(due_at ORDER BY occurred_at DESC, event_id DESC))[1] AS due_at,
           min(occurred_at) FILTER (WHERE alert = 'warned') AS warned_at,
           min(occurred_at) FILTER (WHERE alert = 'exceeded') AS exceeded_at
    FROM clock_alerts WHERE application_id = $1
    GROUP BY clock, clock_id, limit_kind
    ORDER BY min(occurred_at), clock, clock_id, limit_kind
"""


async def aftercare_of(db: asyncpg.Pool | Connection, application_id: UUID) -> dict[str, Any]:
    row = await db.fetchrow(
        "SELECT status, collection, deferred_materials, materials_promised_by,"
        " handed_in_materials, held_at, held_missing, held_promised_by, collected_method,"
        " collected_at, rating, rating_comment, evaluated_at, rating_recorded_by,"
        " (SELECT count(*) FROM visits v WHERE v.application_id = a.application_id) AS visits"
        " FROM applications a WHERE application_id = $1",
        application_id,
    )
    assert row is not None  # the caller has just read it
    clocks = await db.fetch(_CLOCKS, application_id)
    follow_ups = await db.fetch(
        f"SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE application_id = $1"
        " AND opened_at IS NOT NULL ORDER BY opened_at, case_id",
        application_id,
    )
    return {
        "visits": row["visits"],
        "collection": row["collection"] or "electronic",
        "collected": _collected(row),
        "deferred": _deferred(row),
        "held": _held(row),
        "clocks": [ClockView(**dict(c)) for c in clocks],
        "evaluation": _evaluation(row),
        "follow_ups": [follow_up_view(f) for f in follow_ups],
    }


def _deferred(row: asyncpg.Record) -> DeferredView | None:
    if not row["deferred_materials"] or row["materials_promised_by"] is None:
        return None
    deferred, handed = row["deferred_materials"], row["handed_in_materials"]
    return DeferredView(
        materials=deferred,
        promised_by=row["materials_promised_by"],
        handed_in=handed,
        owed=owed(deferred, handed, closed=row["status"] in CLOSED),
    )


def _held(row: asyncpg.Record) -> HeldView | None:
    if row["held_at"] is None or row["status"] != "result_held":
        return None
    return HeldView(
        missing=row["held_missing"], promised_by=row["held_promised_by"], held_at=row["held_at"]
    )


def _collected(row: asyncpg.Record) -> CollectionView | None:
    if row["collected_at"] is None:
        return None
    return CollectionView(method=row["collected_method"], collected_at=row["collected_at"])


def _evaluation(row: asyncpg.Record) -> EvaluationView | None:
    if row["evaluated_at"] is None:
        return None
    return EvaluationView(
        rating=row["rating"],
        comment=row["rating_comment"],
        evaluated_at=row["evaluated_at"],
        recorded_by=row["rating_recorded_by"],
    )
