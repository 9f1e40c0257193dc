"""Recording intake's events: in the application's stream and, in the same transaction, in
the read model; and the read model's consumer."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from uuid import UUID

from contracts.calendar import WorkingCalendar
from contracts.catalog import Catalog
from contracts.envelope import Envelope, Event
from contracts.webhook_targets import AllowList
from eventlog.inbox import Unprocessable
from eventlog.unit_of_work import Stream, UnitOfWork
from runtime.clock import Clock
from runtime.tracing import continuing
from services.intake.adapters.commands import CommandUnitOfWork
from services.intake.adapters.projection import ReadModel, UnreadableEvent
from services.intake.adapters.queries import ApplicationState
from services.intake.domain.callers import Caller
from services.intake.domain.errors import ApplicationNotFound

SERVICE = "intake"


@dataclass(frozen=True)
class Rules:
    """What commands are checked against: the catalog, the working-day calendar, the
    time (injected: tests run on a fake clock), and the internal webhook receivers the
    operators admit (contracts/webhook_targets)."""

    catalog: Catalog
    calendar: WorkingCalendar
    clock: Clock
    webhook_allow: AllowList = field(default_factory=AllowList)


def application_stream(application_id: UUID) -> str:
    return f"application-{application_id}"


def status_url(application_id: UUID) -> str:
    return f"/v1/applications/{application_id}"


async def project(envelope: Envelope, uow: UnitOfWork) -> None:
    """The read model's consumer: every topic, through the inbox."""
    try:
        uow.derived(ReadModel).apply(envelope)
    except UnreadableEvent as exc:
        raise Unprocessable(str(exc)) from exc


async def locked(uow: CommandUnitOfWork, caller: Caller, application_id: UUID) -> ApplicationState:
    state = await uow.applications.lock(caller, application_id)
    if state is None:
        raise ApplicationNotFound(application_id)
    return state


async def record(
    uow: CommandUnitOfWork,
    clock: Clock,
    application_id: UUID,
    *events: Event,
    new: bool = False,
) -> None:
    """Append `events` to the application's stream (`new`: one not written yet), each caused
    by the one before, at the clock's time, and apply them to the read model."""
    stream_id = application_stream(application_id)
    stream = Stream(stream_id) if new else await uow.log.read(stream_id)
    traceparent = stream.events[0].traceparent if stream else None
    now, envelopes = clock.now(), list[Envelope]()
    # A later request (a supplement, a withdrawal...) continues the application's trace.
    with continuing(f"record {events[0].event_type}", traceparent) if stream else nullcontext():
        for event in events:
            cause = envelopes[-1] if envelopes else None
            envelope = Envelope.new(
                event,
                application_id=application_id,
                producer=SERVICE,
                causation=cause,
                occurred_at=now,
            )
            envelopes.append(envelope)
    uow.log.append(stream_id, stream.version, envelopes)
    read_model = uow.log.derived(ReadModel)
    for envelope in envelopes:
        read_model.apply(envelope)
