"""Recording the router's decisions: in the process's stream, each caused by the message
decided on and stamped with the injected clock's time, with the process's next clock mark
and the e-certificates its outcome issues in the same commit."""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

import structlog

from contracts.envelope import Envelope, Event
from contracts.events import OutcomeDecided
from contracts.registry import decode
from eventlog.unit_of_work import DerivedFactory, Stream, UnitOfWork
from services.router import metrics
from services.router.adapters.clock_marks import ClockMarks
from services.router.adapters.e_certificates import ECertificates
from services.router.domain.deadlines import Timing
from services.router.domain.events import ClockUnavailable
from services.router.domain.process import Process
from services.router.domain.replay import Replayed
from services.router.domain.supervision import next_mark

SERVICE = "router"
# The router's own rows, written with the events of a unit of work.
DERIVED: dict[type[Any], DerivedFactory] = {ClockMarks: ClockMarks, ECertificates: ECertificates}

log = structlog.get_logger()


def process_stream(application_id: UUID) -> str:
    return f"process-{application_id}"


def record(
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
                clock=event.clock,
                clock_id=event.clock_id,
                limit=event.limit,
                reason=event.reason,
            )


def envelopes(events: list[Event], cause: Envelope, timing: Timing) -> list[Envelope]:
    """The events as the router records them: caused by `cause`, in its correlation, and
    stamped with the injected clock's time (the time every decision was made at)."""
    return [
        Envelope.new(
            e,
            application_id=cause.application_id,
            producer=SERVICE,
            causation=cause,
            occurred_at=timing.now,
        )
        for e in events
    ]
