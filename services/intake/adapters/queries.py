"""Reading the read model: one application in full, and the row a command locks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from eventlog.store import Connection
from services.intake.adapters.details import aftercare_of
from services.intake.adapters.filings import CURRENT_FILINGS
from services.intake.domain.aftercare import owed
from services.intake.domain.callers import Caller
from services.intake.domain.progress import CLOSED, pending_notice
from services.intake.domain.views import (
    ApplicationSummary,
    ApplicationView,
    NoticeView,
    OutcomeView,
    PendingSupplement,
    SubtaskView,
    TimelineEntry,
)

_CLOCK_FIELDS = ("started_at", "promised_due_at", "statutory_due_at", "working_days", "on_time")
SUMMARY_COLUMNS = (
    "application_id, matter, receipt_number, status, channel, client_id AS client,"
    " applicant_name, submitted_at, updated_at"
)


@dataclass(frozen=True)
class ApplicationState:
    """What a command needs to know about an application, read under its row lock."""

    matter: str
    status: str
    pending_notice: str | None
    decision: str | None = None
    collection: str = "electronic"
    owed: tuple[str, ...] = ()
    evaluated: bool = False
    collected: bool = False


async def lock_application(
    conn: Connection, caller: Caller, application_id: UUID
) -> ApplicationState | None:
    row = await conn.fetchrow(
        "SELECT matter, status, client_id, notice_id, answered_notices,"
        " outcome->>'decision' AS decision, collection, deferred_materials,"
        " handed_in_materials, evaluated_at IS NOT NULL AS evaluated,"
        " collected_at IS NOT NULL AS collected FROM applications"
        " WHERE application_id = $1 AND submitted_at IS NOT NULL FOR UPDATE",
        application_id,
    )
    if row is None or not caller.may_see(row["client_id"]):
        return None
    closed = row["status"] in CLOSED
    pending = pending_notice(row["notice_id"], row["answered_notices"], closed=closed)
    still_owed = owed(row["deferred_materials"], row["handed_in_materials"], closed=closed)
    return ApplicationState(
        row["matter"], row["status"], pending, row["decision"],
        row["collection"] or "electronic", tuple(still_owed), row["evaluated"], row["collected"],
    )  # fmt: skip


async def application_owner(
    db: asyncpg.Pool | Connection, application_id: UUID
) -> tuple[bool, str | None]:
    """Whether the application was submitted, and the client that filed it."""
    row = await db.fetchrow(
        "SELECT client_id FROM applications WHERE application_id = $1 AND submitted_at IS NOT NULL",
        application_id,
    )
    return row is not None, row["client_id"] if row else None


async def application_view(
    db: asyncpg.Pool | Connection,
    caller: Caller,
    application_id: UUID,
    order_of: Callable[[str], list[str]],
) -> ApplicationView | None:
    """The whole picture, or None when the caller may not see it; `order_of(matter)` is the
    catalog's order of the matter's sub-tasks."""
    row = await db.fetchrow(
        f"SELECT {SUMMARY_COLUMNS}, notice_id, notice_requests, notice_issued_at, notice_due_at,"
        " answered_notices, outcome, outcome_at FROM applications"
        " WHERE application_id = $1 AND submitted_at IS NOT NULL",
        application_id,
    )
    if row is None or not caller.may_see(row["client"]):
        return None
    filings = await db.fetch(CURRENT_FILINGS, application_id)
    order = order_of(row["matter"])
    subtasks = [
        SubtaskView(**{**dict(f), "outputs": json.loads(f["outputs"])})
        for f in sorted(filings, key=lambda f: (_position(order, f["subtask"]), f["subtask"]))
    ]
    outcome = json.loads(row["outcome"]) if row["outcome"] else None
    outputs = {s.subtask: s.outputs for s in subtasks if s.status == "completed"}
    outputs.update(outcome["outputs"] if outcome else {})
    notices = await db.fetch(
        "SELECT notice, notice_key, status, channel, recipient, attempts, detail, occurred_at"
        " FROM notices WHERE application_id = $1 ORDER BY occurred_at, event_id",
        application_id,
    )
    timeline = await db.fetch(
        "SELECT occurred_at, event_type, producer, summary FROM timeline"
        " WHERE application_id = $1 ORDER BY occurred_at, event_id",
        application_id,
    )
    return ApplicationView(
        **summary_of(row).model_dump(),
        subtasks=subtasks,
        outputs=outputs,
        supplement=_supplement(row),
        outcome=_outcome(outcome, row["outcome_at"]),
        notices=[NoticeView(**dict(n)) for n in notices],
        **(await aftercare_of(db, application_id)),
        timeline=[TimelineEntry(**dict(t)) for t in timeline],
    )


def summary_of(row: asyncpg.Record) -> ApplicationSummary:
    return ApplicationSummary(**{k: row[k] for k in ApplicationSummary.model_fields})


def _position(order: list[str], subtask: str) -> int:
    return order.index(subtask) if subtask in order else len(order)


def _supplement(row: asyncpg.Record) -> PendingSupplement | None:
    closed = row["status"] in CLOSED
    pending = pending_notice(row["notice_id"], row["answered_notices"], closed=closed)
    if pending is None:
        return None
    requests = json.loads(row["notice_requests"])
    return PendingSupplement(
        notice_id=pending,
        requests=requests,
        issued_at=row["notice_issued_at"],
        due_at=row["notice_due_at"],
    )


def _outcome(outcome: dict[str, Any] | None, decided_at: datetime | None) -> OutcomeView | None:
    if outcome is None or decided_at is None:
        return None
    return OutcomeView(
        decision=outcome["decision"],
        decided_at=decided_at,
        certificates=outcome["certificates"],
        reasons=outcome["reasons"],
        **{k: outcome.get(k) for k in _CLOCK_FIELDS},
    )
