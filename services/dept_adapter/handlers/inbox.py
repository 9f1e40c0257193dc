"""The inbox handlers: they only record work in the filing's (or the lookup's) stream (no
HTTP inside the inbox transaction); the workers (entrypoints/filing/) make the calls."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import structlog

from contracts.envelope import Envelope, Event
from contracts.events import (
    FilingCancelled,
    RegisterLookupRequested,
    SubtaskCancelled,
    SubtaskDispatched,
)
from contracts.registry import decode_as
from eventlog.inbox import Handler, Unprocessable
from eventlog.unit_of_work import UnitOfWork
from runtime.clock import SYSTEM_CLOCK, Clock
from services.dept_adapter.domain.events import (
    CancellationRequested,
    FilingRequested,
    LookupRequested,
)
from services.dept_adapter.domain.filing import replay, stream_of
from services.dept_adapter.domain.lookup import lookup_stream
from services.dept_adapter.handlers import SERVICE

log = structlog.get_logger()


def filing_streams(envelope: Envelope) -> list[str]:
    """The filing (or lookup) stream a task's (or lookup's) handler reads."""
    key = envelope.payload.get("filing_key")
    if isinstance(key, str):
        return [stream_of(key)]
    key = envelope.payload.get("lookup_key")
    return [lookup_stream(key)] if isinstance(key, str) else []


def caused_by(cause: Envelope, event: Event, at: datetime) -> Envelope:
    """`event`, recorded here at `at` in answer to `cause`."""
    return Envelope.new(
        event,
        application_id=cause.application_id,
        producer=SERVICE,
        causation=cause,
        occurred_at=at,
    )


def inbox_handlers(departments: Collection[str], clock: Clock = SYSTEM_CLOCK) -> dict[str, Handler]:
    async def on_subtask_dispatched(envelope: Envelope, uow: UnitOfWork) -> None:
        task = decode_as(envelope, SubtaskDispatched)
        if task.department not in departments:
            raise Unprocessable(f"department {task.department!r} is not configured here")
        stream = stream_of(task.filing_key)
        if await uow.read(stream):
            log.info("filing already recorded", filing_key=task.filing_key)
            return
        requested = FilingRequested(**task.model_dump(include=set(FilingRequested.model_fields)))
        uow.append(stream, 0, [caused_by(envelope, requested, clock.now())])

    async def on_subtask_cancelled(envelope: Envelope, uow: UnitOfWork) -> None:
        cancel = decode_as(envelope, SubtaskCancelled)
        stream = stream_of(cancel.filing_key)
        events = list((await uow.read(stream)).events)
        filing = replay(events)
        if not events:  # never dispatched here: nothing filed, nothing to file
            confirmed = FilingCancelled(
                subtask=cancel.subtask,
                department=cancel.department,
                filing_key=cancel.filing_key,
                confirmed=True,
            )
            uow.append(stream, 0, [caused_by(envelope, confirmed, clock.now())])
            return
        if filing is None or filing.cancelled or filing.cancellation is not None:
            return
        requested = CancellationRequested(**cancel.model_dump())
        uow.append(stream, len(events), [caused_by(envelope, requested, clock.now())])

    async def on_lookup_requested(envelope: Envelope, uow: UnitOfWork) -> None:
        asked = decode_as(envelope, RegisterLookupRequested)
        stream = lookup_stream(asked.lookup_key)
        if await uow.read(stream):
            return  # recorded already: a worker answers it
        requested = LookupRequested(**asked.model_dump())
        uow.append(stream, 0, [caused_by(envelope, requested, clock.now())])

    return {
        "SubtaskDispatched": on_subtask_dispatched,
        "SubtaskCancelled": on_subtask_cancelled,
        "RegisterLookupRequested": on_lookup_requested,
    }
