"""One application for the ops console: its row in the read model, and every event about it
in every service's log (read directly, like the read model's rebuild: same database)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import httpx

from contracts.events import ResultIgnored
from services.intake.adapters.ops_queries import Db, OrderOf, clock_alerts, subtasks_of
from services.intake.domain.ops_views import (
    AdapterHealth,
    ApplicationDetail,
    LoggedEvent,
    department_health,
    in_order,
    trace_id,
)
from services.intake.domain.timeline import ignored_summary


async def application_detail(
    db: Db, log_schemas: Sequence[str], application_id: UUID, order_of: OrderOf
) -> tuple[ApplicationDetail | None, list[str]]:
    """The application, or None if the read model has never heard of it; and the logs that
    could not be read (missing, or no SELECT privilege)."""
    row = await db.fetchrow(
        "SELECT receipt_number, matter, status, channel, submitted_at, updated_at"
        " FROM applications WHERE application_id = $1",
        application_id,
    )
    if row is None:
        return None, []
    events, unread = await logged_events(db, log_schemas, application_id)
    subtasks = (await subtasks_of(db, [application_id])).get(application_id, [])
    detail = ApplicationDetail(
        application_id,
        row["receipt_number"],
        row["matter"],
        row["status"],
        row["channel"],
        row["submitted_at"],
        row["updated_at"],
        in_order(subtasks, order_of(row["matter"])),
        tuple(await clock_alerts(db, application_id)),
        tuple(events),
    )
    return detail, unread


async def logged_events(
    db: Db, log_schemas: Sequence[str], application_id: UUID
) -> tuple[list[LoggedEvent], list[str]]:
    """Every log's events about the application in time order (ties: by UUIDv7 event id)."""
    readable: list[str] = []
    unread: list[str] = []
    for schema in log_schemas:
        (readable if await _readable(db, schema) else unread).append(schema)
    if not readable:
        return [], unread
    # Schema names are checked by IntakeSettings (a-z, 0-9, _) and quoted.
    union = " UNION ALL ".join(
        f"SELECT ${n}::text AS log, occurred_at, event_id, event_type, producer, traceparent,"
        " CASE WHEN event_type = 'ResultRecorded' THEN payload->'result'->>'event_id' END"
        " AS wraps, CASE WHEN event_type = 'ResultIgnored' THEN payload::text END AS ignored"
        f' FROM "{schema}".events WHERE application_id = $1'
        for n, schema in enumerate(readable, start=2)
    )
    rows = await db.fetch(f"{union} ORDER BY occurred_at, event_id", application_id, *readable)
    summaries = {
        str(r["event_id"]): r["summary"]
        for r in await db.fetch(
            "SELECT event_id, summary FROM timeline WHERE application_id = $1", application_id
        )
    }
    events = [
        LoggedEvent(
            r["occurred_at"],
            r["log"],
            r["producer"],
            r["event_type"],
            r["event_id"],
            trace_id(r["traceparent"]),
            summaries.get(str(r["event_id"]))
            or summaries.get(r["wraps"] or "")
            or _ignored(r["ignored"]),
        )
        for r in rows
    ]
    return events, unread


def _ignored(payload: str | None) -> str | None:
    """The line of an answer the router did not apply (it never reaches the read model)."""
    if payload is None:
        return None
    try:
        return ignored_summary(ResultIgnored.model_validate_json(payload))
    except (ValueError, LookupError):  # a ValidationError, or an answer no model reads
        return None


async def _readable(db: Db, schema: str) -> bool:
    table = f'"{schema}".events'
    if await db.fetchval("SELECT to_regclass($1)", table) is None:
        return False
    return bool(await db.fetchval("SELECT has_table_privilege($1, 'SELECT')", table))


async def adapter_health(base_url: str, timeout: float) -> AdapterHealth:
    """dept_adapter's GET /departments; an error instead when it does not answer in time or
    answers something else."""
    url = base_url.rstrip("/") + "/departments"
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            answer = await http.get(url)
            answer.raise_for_status()
            return AdapterHealth(url, department_health(answer.json()))
    except (httpx.HTTPError, ValueError) as exc:  # a JSONDecodeError is a ValueError
        return AdapterHealth(url, {}, f"{type(exc).__name__}: {exc}".strip().rstrip(":"))
