"""Inbox handlers of onewindow.applications: the notifier's projection of each application
(receipt number, matter, the applicant's delivery, deficient materials still owed), and
the reminders that were waiting for it."""

from __future__ import annotations

from contracts.catalog import Catalog
from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted, MaterialsHandedIn, TimeLimitWarned
from eventlog.inbox import Handler
from eventlog.unit_of_work import UnitOfWork
from runtime.clock import SYSTEM_CLOCK, Clock
from services.notifier.adapters.applications import Applications
from services.notifier.domain.applications import known_application
from services.notifier.domain.clock_notices import reminder_notice
from services.notifier.domain.events import ReminderWaiting
from services.notifier.handlers.clocks import waiting_stream
from services.notifier.handlers.notices import payload_of, prepare


def application_handlers(catalog: Catalog, clock: Clock = SYSTEM_CLOCK) -> dict[str, Handler]:
    async def on_submitted(envelope: Envelope, uow: UnitOfWork) -> None:
        known = known_application(payload_of(envelope, ApplicationSubmitted), catalog)
        # The upsert waits for a reminder parking concurrently (it holds the row), so the
        # waiting stream read next holds every reminder that found no submission.
        applications = uow.derived(Applications)
        await applications.note_submission(envelope.application_id, known, envelope.occurred_at)
        for parked in (await uow.read(waiting_stream(envelope.application_id))).events:
            waiting = ReminderWaiting.model_validate(parked.payload)
            event = TimeLimitWarned.model_validate(waiting.clock_event)
            notice = reminder_notice(envelope.application_id, event, known, catalog)
            await prepare(uow, parked, notice, clock.now())

    async def on_handed_in(envelope: Envelope, uow: UnitOfWork) -> None:
        handed_in = payload_of(envelope, MaterialsHandedIn)
        await uow.derived(Applications).hand_in(envelope.application_id, handed_in.materials)

    return {
        ApplicationSubmitted.event_type: on_submitted,
        MaterialsHandedIn.event_type: on_handed_in,
    }
