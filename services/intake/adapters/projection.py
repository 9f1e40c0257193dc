"""The read model's projection: `apply(conn, envelope)` for every event about an application.

It shows what the services decided: a department's answer only as the router applied it
(ResultRecorded on onewindow.progress), never the raw answer on onewindow.task-results.

Idempotent per event_id: the timeline row (event_id primary key) is written first and an
event already there changes nothing. Tolerant of arrival order: every column is set by a
rule that ignores older facts (see filings.py), and the status is derived from the facts.
The application's row is locked first, so concurrent writers derive the status in turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import ValidationError

from contracts.envelope import Envelope, Event
from contracts.events import ResultRecorded
from contracts.registry import UnknownEventType, decode
from contracts.topics import TASK_RESULT_TYPES
from eventlog.store import Connection
from services.intake.adapters import aftercare, facts
from services.intake.adapters.filings import record_filing
from services.intake.adapters.results import filing_change
from services.intake.domain.progress import derive_status, pending_notice
from services.intake.domain.timeline import summary


class UnreadableEvent(ValueError):
    """A projected event type whose payload does not match its registered model."""


async def _filing(conn: Connection, envelope: Envelope, event: Event) -> None:
    await record_filing(conn, envelope, filing_change(event))


_Apply = Callable[[Connection, Envelope, Event], Awaitable[None]]
_BY_TYPE: dict[str, _Apply] = {
    "ApplicationSubmitted": facts.submitted,
    "SupplementSubmitted": facts.supplemented,
    "ApplicationWithdrawn": facts.withdrawn,
    "SupplementNoticeIssued": facts.notice_issued,
    "OutcomeDecided": facts.decided,
    "NoticeDelivered": facts.noticed,
    "NoticeDeliveryFailed": facts.noticed,
    "MaterialsHandedIn": aftercare.handed_in,
    "ResultHeld": aftercare.held,
    "ResultCollected": aftercare.collected,
    "ApplicationEvaluated": aftercare.evaluated,
    "FollowUpOpened": aftercare.follow_up_opened,
    "FollowUpClosed": aftercare.follow_up_closed,
    "TimeLimitWarned": aftercare.clock_alert,
    "TimeLimitExceeded": aftercare.clock_alert,
    "SubtaskDispatched": _filing,
    "SubtaskCancelled": _filing,
}
# A department's answer is projected only as the router applied it (a ResultRecorded): the
# raw answers on onewindow.task-results may be duplicates, stale or about no sub-task at all.
_APPLIED_RESULT: dict[str, _Apply] = dict.fromkeys(TASK_RESULT_TYPES, _filing)
PROJECTED = frozenset({*_BY_TYPE, ResultRecorded.event_type})


async def apply(conn: Connection, envelope: Envelope) -> bool:
    """Apply one event; True if it was new. A ResultRecorded is applied as the task result it
    carries (its timeline line is that result's). Types not about an application's progress
    (private events of a service, raw task results) are ignored. `conn` must be inside a
    transaction."""
    by_type = _BY_TYPE
    if envelope.event_type == ResultRecorded.event_type:
        recorded = _decoded(envelope)
        assert isinstance(recorded, ResultRecorded)
        envelope, by_type = recorded.result, _APPLIED_RESULT
    apply_one = by_type.get(envelope.event_type)
    if apply_one is None:
        return False
    event = _decoded(envelope)
    application_id = envelope.application_id
    await conn.execute(
        "INSERT INTO applications (application_id) VALUES ($1) ON CONFLICT DO NOTHING",
        application_id,
    )
    await conn.execute(
        "SELECT 1 FROM applications WHERE application_id = $1 FOR UPDATE", application_id
    )
    fresh = await conn.fetchval(
        "INSERT INTO timeline (event_id, application_id, occurred_at, event_type, producer,"
        " summary) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
        envelope.event_id, application_id, envelope.occurred_at, envelope.event_type,
        envelope.producer, summary(event),
    )  # fmt: skip
    if not fresh:
        return False
    await apply_one(conn, envelope, event)
    await _derive_status(conn, envelope)
    return True


def _decoded(envelope: Envelope) -> Event:
    try:
        return decode(envelope)
    except (UnknownEventType, ValidationError) as exc:
        raise UnreadableEvent(f"{envelope.event_type} {envelope.event_id}: {exc}") from exc


async def _derive_status(conn: Connection, envelope: Envelope) -> None:
    row = await conn.fetchrow(
        "SELECT outcome->>'decision' AS decision, withdrawn_at IS NOT NULL AS withdrawn,"
        " held_at IS NOT NULL AS held, notice_id, answered_notices, EXISTS (SELECT 1 FROM filings f"
        " WHERE f.application_id = a.application_id AND f.dispatched_at IS NOT NULL)"
        " AS dispatched FROM applications a WHERE application_id = $1",
        envelope.application_id,
    )
    assert row is not None  # apply() made it
    closed = row["decision"] is not None or row["withdrawn"]
    status = derive_status(
        decision=row["decision"],
        withdrawn=row["withdrawn"],
        notice_pending=pending_notice(row["notice_id"], row["answered_notices"], closed=closed)
        is not None,
        dispatched=row["dispatched"],
        held=row["held"],
    )
    await conn.execute(
        "UPDATE applications SET status = $2, updated_at = GREATEST(updated_at, $3)"
        " WHERE application_id = $1",
        envelope.application_id, status, envelope.occurred_at,
    )  # fmt: skip


class ReadModel:
    """The read model as a unit of work's derived writer: each event applied at once, on
    the unit's connection (its statements lock the application's row in turn)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def apply(self, envelope: Envelope) -> bool:
        return await apply(self.conn, envelope)

    async def flush(self) -> None:
        """Every event was applied already."""
