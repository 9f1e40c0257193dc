"""Router handlers: read the application's process from the log, bring its clocks up to now,
record, decide, append, and keep the clock-mark index in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from uuid import UUID

import structlog

from contracts.calendar import WorkingCalendar
from contracts.catalog import Catalog, Matter, UnknownMatter
from contracts.catalog.evidence import record_keys
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    OutcomeDecided,
    RegisterLookupAnswered,
    ResultIgnored,
    SupplementSubmitted,
)
from contracts.registry import decode
from contracts.topics import TASK_RESULT_TYPES
from eventlog.inbox import Handler, Unprocessable
from eventlog.store import Connection
from eventlog.unit_of_work import DerivedFactory, PostgresUnitOfWork, Stream, UnitOfWork
from runtime.clock import Clock
from services.router import metrics
from services.router.adapters.clock_marks import ClockMarks
from services.router.adapters.e_certificates import ECertificates
from services.router.domain.deadlines import Timing
from services.router.domain.deficiency import deficiency_problem
from services.router.domain.events import ClockUnavailable
from services.router.domain.planning import advance, decide_on
from services.router.domain.process import Process, start
from services.router.domain.recording import Library, started
from services.router.domain.replay import Replayed, after, replay
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
ANSWERS = TASK_RESULT_TYPES | {RegisterLookupAnswered.event_type}
# The router's own rows, written with the events of a unit of work.
DERIVED: dict[type[Any], DerivedFactory] = {ClockMarks: ClockMarks, ECertificates: ECertificates}

log = structlog.get_logger()


def process_stream(application_id: UUID) -> str:
    return f"process-{application_id}"


def handle_with(catalog: Catalog, calendar: WorkingCalendar, clock: Clock) -> Handler:
    matters = dict(catalog.matters)
    replayed = Replayed(matters)

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        if envelope.event_type not in HANDLED | ANSWERS:
            return
        stream = await uow.read(process_stream(envelope.application_id))
        timing = Timing(calendar, clock.now())
        if envelope.event_type == ApplicationSubmitted.event_type:
            if stream:
                return
            submitted = _submitted(envelope)
            library = await _library(uow, matters.get(submitted.matter), submitted.form)
            process, caught_up = None, []
            decided, matter = _opening(envelope, submitted, catalog, timing, library), None
        elif not stream:
            if envelope.event_type in ANSWERS:
                raise Unprocessable(
                    f"{envelope.event_type} names application {envelope.application_id},"
                    " which the router has no process for"
                )
            log.warning("no process for this application; ignored", event_type=envelope.event_type)
            return
        else:
            process = replayed.of(stream.stream_id, stream.events)
            matter = matters[process.matter]
            caught_up = overdue(process, matter, timing)
            process = after(process, caught_up)
            library = ()
            if envelope.event_type == SupplementSubmitted.event_type:
                form = envelope.payload.get("form") or process.form
                library = await _library(uow, matter, form)
            decided = _decided(process, matter, envelope, timing, library)
        new = [
            *_envelopes(caught_up, stream.events[-1] if stream else envelope, timing),
            *recorded_joining(
                decided,
                lambda e: _envelopes([e], envelope, timing)[0],
                stream.events,
                matter,
            ),
        ]
        final = after(process, decided) if process else replayed_opening(envelope, decided)
        _record(uow, replayed, stream, new, final)

    def replayed_opening(envelope: Envelope, decided: list[Event]) -> Process:
        return replay(str(envelope.application_id), decided, matters)

    return handle


def _decided(
    process: Process, matter: Matter, envelope: Envelope, timing: Timing, library: Library
) -> list[Event]:
    try:
        decided = decide_on(process, matter, envelope, timing, library)
    except NotAnAnswer as exc:
        raise Unprocessable(str(exc)) from exc
    if not decided:
        log.info("changes nothing; ignored", event_type=envelope.event_type)
    elif isinstance(decided[0], ResultIgnored):
        log.warning("answer ignored", event_type=envelope.event_type, reason=decided[0].reason,
                    subtask=envelope.payload.get("subtask"),
                    filing_key=envelope.payload.get("filing_key"))  # fmt: skip
    return decided


def _submitted(envelope: Envelope) -> ApplicationSubmitted:
    submitted = decode(envelope)
    assert isinstance(submitted, ApplicationSubmitted)
    return submitted


def _opening(
    envelope: Envelope,
    submitted: ApplicationSubmitted,
    catalog: Catalog,
    timing: Timing,
    library: Library,
) -> list[Event]:
    try:
        matter = catalog.matter(submitted.matter)
    except UnknownMatter as exc:
        raise Unprocessable(str(exc)) from exc
    problem = deficiency_problem(submitted, matter)
    if problem:
        raise Unprocessable(problem)
    first = started(submitted, envelope.occurred_at, library)
    return [first, *advance(start(str(envelope.application_id), first, matter), matter, timing)]


async def _library(uow: UnitOfWork, matter: Matter | None, form: object) -> Library:
    """What the e-certificate library holds for the holders `form` names, for the matter's
    materials taken from it (read before deciding, so the decision stays pure)."""
    if matter is None or not isinstance(form, dict):
        return ()
    wanted = [
        (kind, key.key)
        for material in matter.materials
        if (kind := material.certificate_kind)
        for key in record_keys(material, form)
    ]
    return await uow.derived(ECertificates).newest(wanted) if wanted else ()


async def tick(
    conn: Connection, stream_id: str, replayed: Replayed, matters: Mapping[str, Matter],
    timing: Timing,
) -> int:  # fmt: skip
    """Record the clock marks due in one process (and what follows, e.g. a lapse); returns
    how many events were appended. Raises ConcurrencyConflict when another writer appended
    first: then it recorded what was due, or the next look will."""
    async with conn.transaction():
        uow = PostgresUnitOfWork(conn, DERIVED)
        stream = await uow.read(stream_id)
        if not stream:
            return 0
        process = replayed.of(stream_id, stream.events)
        decided = overdue(process, matters[process.matter], timing)
        new = _envelopes(decided, stream.events[-1], timing)
        _record(uow, replayed, stream, new, after(process, decided))
        await uow.commit()
    for action in uow.committed_actions:
        action()
    return len(decided)


def _record(
    uow: UnitOfWork, replayed: Replayed, stream: Stream, new: list[Envelope], final: Process
) -> None:
    """Append what was decided, with the process's next clock mark in the same commit."""
    if not new:
        return
    uow.append(stream.stream_id, stream.version, new)
    history = [*stream.events, *new]
    replayed.keep(stream.stream_id, history, final)
    application_id = new[0].application_id
    uow.derived(ClockMarks).record(stream.stream_id, application_id, next_mark(final), len(history))
    uow.after_commit(partial(metrics.count, list(stream.events), new))
    for event in (decode(e) for e in new):
        if isinstance(event, OutcomeDecided):
            uow.derived(ECertificates).issue(application_id, event)
        if isinstance(event, ClockUnavailable):
            log.error(
                "TIME LIMIT NOT KEPT: the calendar cannot count it; extend the calendar file",
                application_id=str(application_id),
                clock=event.clock, clock_id=event.clock_id, limit=event.limit,
                reason=event.reason,
            )  # fmt: skip


def _envelopes(events: list[Event], cause: Envelope, timing: Timing) -> list[Envelope]:
    """The events as the router records them: caused by `cause`, in its correlation, and
    stamped with the injected clock's time (the time every decision was made at)."""
    return [
        Envelope.new(
            e, application_id=cause.application_id, producer=SERVICE, causation=cause
        ).model_copy(update={"occurred_at": timing.now})
        for e in events
    ]
