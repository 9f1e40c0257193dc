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
from eventlog.reading import stream_head
from eventlog.store import Connection, StreamAppend, append_streams
from eventlog.unit_of_work import UnitOfWork
from runtime.clock import Clock
from runtime.tracing import continuing
from services.intake.adapters.projection import ReadModel, UnreadableEvent, apply_all
from services.intake.adapters.queries import ApplicationState, lock_application
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


async def locked(conn: Connection, caller: Caller, application_id: UUID) -> ApplicationState:
    # The row lock serialises commands on one application: a second withdrawal sees the first.
    state = await lock_application(conn, caller, application_id)
    if state is None:
        raise ApplicationNotFound(application_id)
    return state


async def record(conn: Connection, clock: Clock, application_id: UUID, *events: Event) -> None:
    """Append `events` to the application's stream, each caused by the one before, at the
    clock's time, and apply them to the read model."""
    stream = application_stream(application_id)
    head = await stream_head(conn, stream)
    version, traceparent = head.version, head.first_traceparent
    now, envelopes = clock.now(), list[Envelope]()
    # A later request (a supplement, a withdrawal...) continues the application's trace.
    with continuing(f"record {events[0].event_type}", traceparent) if version else nullcontext():
        for event in events:
            cause = envelopes[-1] if envelopes else None
            envelope = Envelope.new(
                event, application_id=application_id, producer=SERVICE, causation=cause
            )
            envelopes.append(envelope.model_copy(update={"occurred_at": now}))
    await append_streams(conn, [StreamAppend(stream, version, envelopes)])
    await apply_all(conn, envelopes)
