"""Inbox handlers of onewindow.supervision: a time-limit warning or overdue becomes the
notices of those who watch the clock (电子监察), and the applicant's reminder, each once.

Supervision needs no applicant address, so its notices are prepared at once, with what is
known (an application whose submission is not seen yet is named by its id). A reminder
needs the applicant's delivery, recorded from ApplicationSubmitted on another topic that
may be behind: then the reminder waits as a ReminderWaiting event in the stream
`waiting-<application_id>`, and the submission's handler prepares it (handlers/applications.py).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog

from contracts.catalog import Catalog
from contracts.envelope import Envelope
from contracts.events import TimeLimitExceeded, TimeLimitWarned
from eventlog.inbox import Handler
from eventlog.unit_of_work import UnitOfWork
from runtime.clock import SYSTEM_CLOCK, Clock
from services.notifier import SERVICE
from services.notifier.adapters.applications import Applications
from services.notifier.domain.clock_notices import reminder_notice, supervision_notice
from services.notifier.domain.clocks import (
    ClockEvent,
    clock_key,
    reminds_applicant,
    watchers_of,
    without_contact,
)
from services.notifier.domain.contacts import Watchers
from services.notifier.domain.events import ReminderWaiting
from services.notifier.handlers.notices import payload_of, prepare

log = structlog.get_logger()


def waiting_stream(application_id: UUID) -> str:
    return f"waiting-{application_id}"


def clock_handlers(
    watchers: Watchers, catalog: Catalog, clock: Clock = SYSTEM_CLOCK
) -> dict[str, Handler]:
    async def on_clock_event(envelope: Envelope, uow: UnitOfWork) -> None:
        event: ClockEvent = (
            payload_of(envelope, TimeLimitWarned)
            if envelope.event_type == TimeLimitWarned.event_type
            else payload_of(envelope, TimeLimitExceeded)
        )
        recipients = watchers_of(event, watchers)
        if recipients:
            known = await uow.derived(Applications).lookup(envelope.application_id)
            for recipient in recipients:
                notice = supervision_notice(
                    envelope.application_id, event, recipient, known, catalog
                )
                await prepare(uow, envelope, notice, clock.now())
        if without_contact(event, watchers):
            log.warning("no contact for the department; supervision only", dept=event.department)
        if reminds_applicant(event):
            await remind(uow, envelope, event, catalog, clock.now())

    return {
        TimeLimitWarned.event_type: on_clock_event,
        TimeLimitExceeded.event_type: on_clock_event,
    }


async def remind(
    uow: UnitOfWork, cause: Envelope, event: ClockEvent, catalog: Catalog, at: datetime
) -> None:
    known = await uow.derived(Applications).hold(cause.application_id)
    if known is not None:
        notice = reminder_notice(cause.application_id, event, known, catalog)
        await prepare(uow, cause, notice, at)
        return
    stream, key = waiting_stream(cause.application_id), clock_key(event, "applicant")
    waiting = await uow.read(stream)
    if any(w.payload.get("notice_key") == key for w in waiting.events):
        return
    parked = Envelope.new(
        ReminderWaiting(notice_key=key, clock_event=event.model_dump(mode="json")),
        application_id=cause.application_id,
        producer=SERVICE,
        causation=cause,
        occurred_at=at,
    )
    uow.append(stream, waiting.version, [parked])
    log.info("reminder waits for the submission", stream=stream, notice_key=key)
