"""One application for the ops console: its row in the read model, and every event about it
in every service's log (read through eventlog, like the read model's rebuild: same database)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg
import httpx

from contracts.envelope import Envelope
from contracts.events import ResultIgnored
from eventlog.reading import ServiceLogs
from eventlog.store import Connection
from services.intake.adapters.ops.queries import Db, OrderOf, clock_alerts, subtasks_of
from services.intake.domain.ops.views import (
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
    async with _connection(db) as conn:
        logs = ServiceLogs(conn, log_schemas)
        _, unread = await logs.readable()
        logged = await logs.of_application(application_id)
        summaries = {
            str(r["event_id"]): r["summary"]
            for r in await conn.fetch(
                "SELECT event_id, summary FROM timeline WHERE application_id = $1", application_id
            )
        }
    events = [
        LoggedEvent(
            e.envelope.occurred_at,
            schema,
            e.envelope.producer,
            e.envelope.event_type,
            e.envelope.event_id,
            trace_id(e.envelope.traceparent),
            summaries.get(str(e.envelope.event_id))
            or summaries.get(_wrapped(e.envelope) or "")
            or _ignored(e.envelope),
        )
        for schema, e in logged
    ]
    return events, unread


@asynccontextmanager
async def _connection(db: Db) -> AsyncIterator[Connection]:
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            yield conn
    else:
        yield db


def _wrapped(envelope: Envelope) -> str | None:
    """The id of the task result a ResultRecorded carries: the read model's timeline line is
    keyed by it."""
    if envelope.event_type != "ResultRecorded":
        return None
    result = envelope.payload.get("result")
    wrapped = result.get("event_id") if isinstance(result, dict) else None
    return wrapped if isinstance(wrapped, str) else None


def _ignored(envelope: Envelope) -> str | None:
    """The line of an answer the router did not apply (it never reaches the read model)."""
    if envelope.event_type != "ResultIgnored":
        return None
    try:
        return ignored_summary(ResultIgnored.model_validate(envelope.payload))
    except (ValueError, LookupError):  # a ValidationError, or an answer no model reads
        return None


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
