"""What the aftercare events say: hand-ins, the held result, collection, evaluation,
follow-ups and clock alerts. Like facts.py, each sets its columns only over older facts:
the first collection and evaluation win, set-valued columns are unions."""

from __future__ import annotations

from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationEvaluated,
    FollowUpClosed,
    FollowUpOpened,
    MaterialsHandedIn,
    ResultCollected,
    ResultHeld,
    TimeLimitExceeded,
    TimeLimitWarned,
)
from contracts.registry import narrow
from eventlog.store import Connection
from services.intake.adapters.visits import add_brought, record_visit, sorted_union


async def handed_in(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, MaterialsHandedIn)
    await conn.execute(
        "UPDATE applications SET handed_in_materials ="
        f" {sorted_union('handed_in_materials', '$2')} WHERE application_id = $1",
        envelope.application_id,
        list(event.materials),
    )
    await add_brought(conn, envelope, event.materials)
    if event.in_person:
        await record_visit(conn, envelope, "hand-in")


async def held(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, ResultHeld)
    await conn.execute(
        "UPDATE applications SET held_at = $2, held_missing = $3, held_promised_by = $4"
        " WHERE application_id = $1 AND (held_at IS NULL OR held_at < $2)",
        envelope.application_id, envelope.occurred_at, list(event.missing), event.promised_by,
    )  # fmt: skip


async def collected(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, ResultCollected)
    await conn.execute(
        "UPDATE applications SET collected_method = $2, collected_at = $3"
        " WHERE application_id = $1 AND (collected_at IS NULL OR collected_at > $3)",
        envelope.application_id,
        event.method,
        envelope.occurred_at,
    )
    if event.in_person:
        await record_visit(conn, envelope, "pickup")


async def evaluated(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, ApplicationEvaluated)
    await conn.execute(
        "UPDATE applications SET rating = $2, rating_comment = $3, evaluated_at = $4,"
        " rating_recorded_by = $5"
        " WHERE application_id = $1 AND (evaluated_at IS NULL OR evaluated_at > $4)",
        envelope.application_id,
        event.rating,
        event.comment,
        envelope.occurred_at,
        event.recorded_by,
    )


async def follow_up_opened(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, FollowUpOpened)
    await conn.execute(
        "INSERT INTO follow_ups AS f (case_id, application_id, rating, comment,"
        " time_limit_days, opened_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (case_id) DO UPDATE SET rating = EXCLUDED.rating,"
        " comment = EXCLUDED.comment, time_limit_days = EXCLUDED.time_limit_days,"
        " opened_at = EXCLUDED.opened_at, recorded_by = EXCLUDED.recorded_by"
        " WHERE f.opened_at IS NULL OR f.opened_at > EXCLUDED.opened_at",
        event.case_id,
        envelope.application_id,
        event.rating,
        event.comment,
        event.time_limit_days,
        envelope.occurred_at,
        event.recorded_by,
    )


async def follow_up_closed(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, FollowUpClosed)
    await conn.execute(
        "INSERT INTO follow_ups AS f (case_id, application_id, closed_at, response, clerk)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO UPDATE SET"
        " closed_at = EXCLUDED.closed_at, response = EXCLUDED.response, clerk = EXCLUDED.clerk"
        " WHERE f.closed_at IS NULL OR f.closed_at > EXCLUDED.closed_at",
        event.case_id,
        envelope.application_id,
        envelope.occurred_at,
        event.response,
        event.clerk,
    )


async def clock_alert(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, TimeLimitWarned, TimeLimitExceeded)
    alert = "warned" if isinstance(event, TimeLimitWarned) else "exceeded"
    await conn.execute(
        "INSERT INTO clock_alerts (event_id, application_id, alert, clock, clock_id,"
        " limit_kind, department, limit_days, started_at, due_at, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        envelope.event_id, envelope.application_id, alert, event.clock, event.clock_id,
        event.limit, event.department, event.limit_days, event.started_at, event.due_at,
        envelope.occurred_at,
    )  # fmt: skip
    if event.clock == "follow-up":
        # The follow-up's clock is the router's; it may speak before FollowUpOpened arrives.
        column = f"{alert}_at"
        await conn.execute(
            f"INSERT INTO follow_ups AS f (case_id, application_id, {column})"
            f" VALUES ($1, $2, $3) ON CONFLICT (case_id) DO UPDATE"
            f" SET {column} = LEAST(f.{column}, EXCLUDED.{column})",
            event.clock_id,
            envelope.application_id,
            envelope.occurred_at,
        )
