"""Router handlers: read the application's process from the log, bring its clocks up to now,
record, decide, append, and keep the clock-mark index in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from uuid import UUID

import structlog

from contracts.calendar import WorkingCalendar
from contracts.catalog import Catalog, Matter, UnknownMatter
from contracts.envelope import Envelope, Event
from contracts.events import ApplicationSubmitted, ResultIgnored
from contracts.registry import decode
from contracts.topics import TASK_RESULT_TYPES
from eventlog.inbox import Handler, Unprocessable
from eventlog.store import Connection, RecordedEvent, StreamAppend, append_streams, read_stream
from eventlog.unit_of_work import UnitOfWork
from runtime.clock import Clock
from services.router import metrics
from services.router.adapters import clock_marks
from services.router.domain.deadlines import Timing
from services.router.domain.deficiency import deficiency_problem
from services.router.domain.events import ClockUnavailable
from services.router.domain.planning import advance, decide_on
from services.router.domain.process import Process, start
from services.router.domain.recording import started
from services.router.domain.replay import after, replay
from services.router.domain.results import NotAnAnswer
from services.router.domain.supervision import next_mark, overdue
from services.router.joining import recorded_joining

SERVICE = "router"
HANDLED = frozenset(
    {
        "ApplicationSubmitted", "SupplementSubmitted", "ApplicationWithdrawn",
        "MaterialsHandedIn", "FollowUpOpened", "FollowUpClosed",
    }
)  # fmt: skip

log = structlog.get_logger()


def process_stream(application_id: UUID) -> str:
    return f"process-{application_id}"


def handle_with(catalog: Catalog, calendar: WorkingCalendar, clock: Clock) -> Handler:
    matters = dict(catalog.matters)

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        if envelope.event_type not in HANDLED | TASK_RESULT_TYPES:
            return
        stream = process_stream(envelope.application_id)
        records = await uow.read(stream)
        timing = Timing(calendar, clock.now())
        if envelope.event_type == ApplicationSubmitted.event_type:
            if records:
                return
            caught_up, decided, matter = [], _opening(envelope, catalog, timing), None
        elif not records:
            if envelope.event_type in TASK_RESULT_TYPES:
                raise Unprocessable(
                    f"{envelope.event_type} names application {envelope.application_id},"
                    " which the router has no process for"
                )
            log.warning("no process for this application; ignored", event_type=envelope.event_type)
            return
        else:
            process = _replay(records, matters)
            matter = matters[process.matter]
            caught_up = overdue(process, matter, timing)
            process = after(process, caught_up)
            decided = _decided(process, matter, envelope, timing)
        new = [
            *_envelopes(caught_up, records[-1].envelope if records else envelope, timing),
            *recorded_joining(
                decided,
                lambda e: _envelopes([e], envelope, timing)[0],
                [r.envelope for r in records],
                matter,
            ),
        ]
        await _append(uow.conn, stream, records, new, matters)
        if new:
            uow.after_commit(partial(metrics.count, [r.envelope for r in records], new))

    return handle


def _decided(process: Process, matter: Matter, envelope: Envelope, timing: Timing) -> list[Event]:
    try:
        decided = decide_on(process, matter, envelope, timing)
    except NotAnAnswer as exc:
        raise Unprocessable(str(exc)) from exc
    if not decided:
        log.info("changes nothing; ignored", event_type=envelope.event_type)
    elif isinstance(decided[0], ResultIgnored):
        log.warning("answer ignored", event_type=envelope.event_type, reason=decided[0].reason,
                    subtask=envelope.payload.get("subtask"),
                    filing_key=envelope.payload.get("filing_key"))  # fmt: skip
    return decided


def _opening(envelope: Envelope, catalog: Catalog, timing: Timing) -> list[Event]:
    submitted = decode(envelope)
    assert isinstance(submitted, ApplicationSubmitted)
    try:
        matter = catalog.matter(submitted.matter)
    except UnknownMatter as exc:
        raise Unprocessable(str(exc)) from exc
    problem = deficiency_problem(submitted, matter)
    if problem:
        raise Unprocessable(problem)
    first = started(submitted, envelope.occurred_at)
    return [first, *advance(start(str(envelope.application_id), first, matter), matter, timing)]


async def tick(conn: Connection, stream: str, matters: Mapping[str, Matter], timing: Timing) -> int:
    """Record the clock marks due in one process (and what follows, e.g. a lapse); returns
    how many events were appended. Raises ConcurrencyConflict when another writer appended
    first: then it recorded what was due, or the next look will."""
    async with conn.transaction():
        records = await read_stream(conn, stream)
        if not records:
            return 0
        process = _replay(records, matters)
        decided = overdue(process, matters[process.matter], timing)
        new = _envelopes(decided, records[-1].envelope, timing)
        await _append(conn, stream, records, new, matters)
    metrics.count([r.envelope for r in records], new)
    return len(decided)


async def _append(
    conn: Connection,
    stream: str,
    records: Sequence[RecordedEvent],
    new: list[Envelope],
    matters: Mapping[str, Matter],
) -> None:
    if new:
        await append_streams(conn, [StreamAppend(stream, len(records), new)])
    history = [*(r.envelope for r in records), *new]
    if not history:
        return
    final = replay(str(history[0].application_id), [decode(e) for e in history], dict(matters))
    await clock_marks.write(conn, stream, history[0].application_id, next_mark(final), len(history))
    for event in (decode(e) for e in new):
        if isinstance(event, ClockUnavailable):
            log.error(
                "TIME LIMIT NOT KEPT: the calendar cannot count it; extend the calendar file",
                application_id=str(history[0].application_id),
                clock=event.clock, clock_id=event.clock_id, limit=event.limit,
                reason=event.reason,
            )  # fmt: skip


def _replay(records: Sequence[RecordedEvent], matters: Mapping[str, Matter]) -> Process:
    application_id = str(records[0].envelope.application_id)
    return replay(application_id, [decode(r.envelope) for r in records], dict(matters))


def _envelopes(events: list[Event], cause: Envelope, timing: Timing) -> list[Envelope]:
    """The events as the router records them: caused by `cause`, in its correlation, and
    stamped with the injected clock's time (the time every decision was made at)."""
    return [
        Envelope.new(
            e, application_id=cause.application_id, producer=SERVICE, causation=cause
        ).model_copy(update={"occurred_at": timing.now})
        for e in events
    ]
