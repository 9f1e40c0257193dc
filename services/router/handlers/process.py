"""Router handlers: read the application's process from the log, bring its clocks up to now,
record, decide, append, and keep the clock-mark index in the same transaction."""

from __future__ import annotations

import structlog

from contracts.calendar import WorkingCalendar
from contracts.catalog import Catalog, Matter, UnknownMatter
from contracts.catalog.evidence import record_keys
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    RegisterLookupAnswered,
    ResultIgnored,
    SupplementSubmitted,
)
from contracts.registry import decode_as
from contracts.topics import TASK_RESULT_TYPES
from eventlog.inbox import Handler, Unprocessable
from eventlog.unit_of_work import UnitOfWork
from runtime.clock import Clock
from services.router.adapters.e_certificates import ECertificates
from services.router.domain.deadlines import Timing
from services.router.domain.deficiency import deficiency_problem
from services.router.domain.planning import advance, decide_on
from services.router.domain.process import Process, start
from services.router.domain.recording import Library, started
from services.router.domain.replay import Replayed, after, replay
from services.router.domain.results import NotAnAnswer
from services.router.domain.supervision import overdue
from services.router.handlers.joining import recorded_joining
from services.router.handlers.journal import envelopes, process_stream, record

HANDLED = frozenset(
    {
        "ApplicationSubmitted", "SupplementSubmitted", "ApplicationWithdrawn",
        "MaterialsHandedIn", "FollowUpOpened", "FollowUpClosed",
    }
)  # fmt: skip
ANSWERS = TASK_RESULT_TYPES | {RegisterLookupAnswered.event_type}

log = structlog.get_logger()


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
            *envelopes(caught_up, stream.events[-1] if stream else envelope, timing),
            *recorded_joining(
                decided,
                lambda e: envelopes([e], envelope, timing)[0],
                stream.events,
                matter,
            ),
        ]
        final = after(process, decided) if process else replayed_opening(envelope, decided)
        record(uow, replayed, stream, new, final)

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
    return decode_as(envelope, ApplicationSubmitted)


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
