"""The read model's projection: `apply_all(conn, envelopes)` for the events about applications.

It shows what the services decided: a department's answer only as the router applied it
(ResultRecorded on onewindow.progress), never the raw answer on onewindow.task-results.

Idempotent per event_id: the timeline row (event_id primary key) is written first and an
event already there changes nothing. Tolerant of arrival order: every column is set by a
rule that ignores older facts (see filings.py), and the status is derived from the facts.
The applications' rows are locked first, so concurrent writers derive the status in turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from contracts.envelope import Envelope, Event
from contracts.events import ResultRecorded
from contracts.registry import UnknownEventType, decode, narrow
from contracts.topics import TASK_RESULT_TYPES
from eventlog.store import Connection
from services.intake.adapters import aftercare, data_access, facts, library
from services.intake.adapters.filings import record_filing
from services.intake.adapters.results import filing_change
from services.intake.domain.progress import derive_status, pending_notice
from services.intake.domain.timeline import summary


class UnreadableEvent(ValueError):
    """A projected event type whose payload does not match its registered model."""


async def _filing(conn: Connection, envelope: Envelope, event: Event) -> None:
    await record_filing(conn, envelope, filing_change(event))


async def _decided(conn: Connection, envelope: Envelope, event: Event) -> None:
    await facts.decided(conn, envelope, event)
    await library.issued(conn, envelope, event)


_Apply = Callable[[Connection, Envelope, Event], Awaitable[None]]
_BY_TYPE: dict[str, _Apply] = {
    "ApplicationSubmitted": facts.submitted,
    "SupplementSubmitted": facts.supplemented,
    "ApplicationWithdrawn": facts.withdrawn,
    "SupplementNoticeIssued": facts.notice_issued,
    "OutcomeDecided": _decided,
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
    "RegisterLookupAnswered": data_access.lookup_answered,
    "EvidenceChecked": data_access.evidence_checked,
}
# A department's answer is projected only as the router applied it (a ResultRecorded): the
# raw answers on onewindow.task-results may be duplicates, stale or about no sub-task at all.
_APPLIED_RESULT: dict[str, _Apply] = dict.fromkeys(TASK_RESULT_TYPES, _filing)
PROJECTED = frozenset({*_BY_TYPE, ResultRecorded.event_type})


async def apply(conn: Connection, envelope: Envelope) -> bool:
    """Apply one event; True if it was new (see `apply_all`)."""
    return await apply_all(conn, [envelope]) == 1


async def apply_all(conn: Connection, envelopes: Sequence[Envelope]) -> int:
    """Apply events; returns how many were new. A ResultRecorded is applied as the task
    result it carries (its timeline line is that result's). Types not about an application's
    progress (private events of a service, raw task results) are ignored. `conn` must be
    inside a transaction; raises UnreadableEvent, naming it, for an event that cannot be read.

    A constant number of round trips whatever the number of events: the applications' rows
    are made and locked (in id order, so concurrent batches never deadlock), the timeline
    rows inserted in one statement that tells which events are new, each kind of change
    written by one pipelined statement, and the statuses derived and written at once."""
    return await _apply_projected(conn, [p for p in map(_projected, envelopes) if p])


async def _apply_projected(conn: Connection, projected: Sequence[_Projected]) -> int:
    if not projected:
        return 0
    ids = sorted({e.application_id for e, _, _ in projected})
    await conn.execute(
        "INSERT INTO applications (application_id) SELECT unnest($1::uuid[])"
        " ON CONFLICT DO NOTHING",
        ids,
    )
    await conn.execute(
        "SELECT 1 FROM applications WHERE application_id = ANY($1::uuid[])"
        " ORDER BY application_id FOR UPDATE",
        ids,
    )
    fresh_ids = {
        r["event_id"]
        for r in await conn.fetch(
            "INSERT INTO timeline (event_id, application_id, occurred_at, event_type, producer,"
            " summary) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[],"
            " $4::text[], $5::text[], $6::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
            *map(list, zip(*(_timeline_row(e, event) for e, event, _ in projected), strict=True)),
        )
    }
    # an event twice in one batch (a redelivery) is applied once
    fresh = list({p[0].event_id: p for p in projected if p[0].event_id in fresh_ids}.values())
    if not fresh:
        return 0
    statements = _Statements()
    for envelope, event, apply_one in fresh:
        await apply_one(statements, envelope, event)  # type: ignore[arg-type]
    await statements.run(conn)
    await _derive_statuses(conn, fresh)
    return len(fresh)


_Projected = tuple[Envelope, Event, "_Apply"]


def _projected(envelope: Envelope) -> _Projected | None:
    by_type = _BY_TYPE
    if envelope.event_type == ResultRecorded.event_type:
        recorded = narrow(_decoded(envelope), ResultRecorded)
        envelope, by_type = recorded.result, _APPLIED_RESULT
    apply_one = by_type.get(envelope.event_type)
    if apply_one is None:
        return None
    return envelope, _decoded(envelope), apply_one


def projects(envelope: Envelope) -> bool:
    """Whether the read model shows this event; raises UnreadableEvent if it cannot read it."""
    return _projected(envelope) is not None


def _timeline_row(envelope: Envelope, event: Event) -> tuple[object, ...]:
    return (
        envelope.event_id,
        envelope.application_id,
        envelope.occurred_at,
        envelope.event_type,
        envelope.producer,
        summary(event),
    )


class _Statements:
    """Stands in for the connection while the events' changes are worked out: it keeps each
    statement, then runs each distinct one for all its rows in one pipelined round trip.
    Every change is written by a rule that ignores older facts, so their order across kinds
    does not matter."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[object, ...]]] = {}

    async def execute(self, sql: str, *args: object) -> str:
        self.rows.setdefault(sql, []).append(args)
        return ""

    async def run(self, conn: Connection) -> None:
        for sql, rows in self.rows.items():
            await conn.executemany(sql, rows)


def _decoded(envelope: Envelope) -> Event:
    try:
        return decode(envelope)
    except (UnknownEventType, ValidationError) as exc:
        raise UnreadableEvent(f"{envelope.event_type} {envelope.event_id}: {exc}") from exc


_STATUS_FACTS = """
    SELECT application_id, outcome->>'decision' AS decision,
           withdrawn_at IS NOT NULL AS withdrawn, held_at IS NOT NULL AS held, notice_id,
           answered_notices, EXISTS (SELECT 1 FROM filings f
               WHERE f.application_id = a.application_id AND f.dispatched_at IS NOT NULL)
           AS dispatched
    FROM applications a WHERE application_id = ANY($1::uuid[])
"""


async def _derive_statuses(conn: Connection, fresh: Sequence[_Projected]) -> None:
    latest: dict[UUID, datetime] = {}
    for envelope, _, _ in fresh:
        at = latest.get(envelope.application_id, envelope.occurred_at)
        latest[envelope.application_id] = max(at, envelope.occurred_at)
    statuses: dict[UUID, str] = {}
    for row in await conn.fetch(_STATUS_FACTS, list(latest)):
        closed = row["decision"] is not None or row["withdrawn"]
        notice = pending_notice(row["notice_id"], row["answered_notices"], closed=closed)
        statuses[row["application_id"]] = derive_status(
            decision=row["decision"],
            withdrawn=row["withdrawn"],
            notice_pending=notice is not None,
            dispatched=row["dispatched"],
            held=row["held"],
        )
    ids = list(statuses)
    await conn.execute(
        "UPDATE applications a SET status = x.status, updated_at = GREATEST(a.updated_at, x.at)"
        " FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS x(id, status, at)"
        " WHERE a.application_id = x.id",
        ids,
        [statuses[i] for i in ids],
        [latest[i] for i in ids],
    )


class ReadModel:
    """The read model as a unit of work's derived writer: the batch's events are gathered
    and projected together when the unit commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pending: list[_Projected] = []

    def apply(self, envelope: Envelope) -> None:
        """Raises UnreadableEvent here, for this event alone."""
        projected = _projected(envelope)
        if projected is not None:
            self.pending.append(projected)

    def mark(self) -> int:
        return len(self.pending)

    def rewind(self, mark: int | None) -> None:
        del self.pending[mark or 0 :]

    async def flush(self) -> None:
        await _apply_projected(self.conn, self.pending)
        self.pending.clear()
