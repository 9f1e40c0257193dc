"""Inbox handlers of the outcomes: an outcome, a supplement notice or a held result becomes
one prepared notice, once (handlers/notices.py).

The handler only records NoticePrepared in the notice's own stream; the delivery workers
send it: a second OutcomeDecided for the application, even under a new event id, adds nothing.
"""

from __future__ import annotations

from contracts.catalog import Catalog
from contracts.envelope import Envelope
from contracts.events import OutcomeDecided, ResultHeld, SupplementNoticeIssued
from eventlog.inbox import Handler
from eventlog.unit_of_work import UnitOfWork
from runtime.clock import SYSTEM_CLOCK, Clock
from services.notifier.domain.applications import material_names
from services.notifier.domain.notices import held_notice, outcome_notice, supplement_notice
from services.notifier.handlers.notices import payload_of, prepare


def outcome_handlers(catalog: Catalog, clock: Clock = SYSTEM_CLOCK) -> dict[str, Handler]:
    async def on_outcome_decided(envelope: Envelope, uow: UnitOfWork) -> None:
        outcome = payload_of(envelope, OutcomeDecided)
        notice = outcome_notice(envelope.application_id, outcome, envelope.occurred_at)
        await prepare(uow, envelope, notice, clock.now())

    async def on_supplement_notice_issued(envelope: Envelope, uow: UnitOfWork) -> None:
        issued = payload_of(envelope, SupplementNoticeIssued)
        notice = supplement_notice(envelope.application_id, issued)
        await prepare(uow, envelope, notice, clock.now())

    async def on_result_held(envelope: Envelope, uow: UnitOfWork) -> None:
        held = payload_of(envelope, ResultHeld)
        owed = material_names(catalog, held.matter, held.missing)
        notice = held_notice(envelope.application_id, held, owed, envelope.occurred_at)
        await prepare(uow, envelope, notice, clock.now())

    return {
        OutcomeDecided.event_type: on_outcome_decided,
        SupplementNoticeIssued.event_type: on_supplement_notice_issued,
        ResultHeld.event_type: on_result_held,
    }
