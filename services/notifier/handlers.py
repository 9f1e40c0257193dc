"""Inbox handlers of the outcomes: an outcome, a supplement notice or a held result becomes
one prepared notice, once.

The handler only records NoticePrepared in the notice's own stream; the delivery workers
send it. A stream that exists already means the notice was prepared (and is sent or being
sent): a second OutcomeDecided for the application, even under a new event id, adds nothing.
"""

from __future__ import annotations

from typing import TypeVar

import structlog
from pydantic import ValidationError

from contracts.catalog import Catalog
from contracts.envelope import Envelope, Event
from contracts.events import OutcomeDecided, ResultHeld, SupplementNoticeIssued
from eventlog.inbox import Handler, Unprocessable
from eventlog.unit_of_work import UnitOfWork
from services.notifier import SERVICE
from services.notifier.domain.applications import material_names
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.notices import (
    held_notice,
    notice_stream,
    outcome_notice,
    supplement_notice,
)

E = TypeVar("E", bound=Event)
log = structlog.get_logger()


def decode(envelope: Envelope, model: type[E]) -> E:
    try:
        return model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise Unprocessable(f"{envelope.event_type} is not valid: {exc}") from exc


async def prepare(uow: UnitOfWork, cause: Envelope, prepared: NoticePrepared) -> None:
    stream = notice_stream(cause.application_id, prepared.notice_key)
    if await uow.read(stream):
        log.info("notice prepared before; nothing new is sent", stream=stream)
        return
    event = Envelope.new(
        prepared, application_id=cause.application_id, producer=SERVICE, causation=cause
    )
    uow.append(stream, 0, [event])
    log.info("notice prepared", stream=stream, kind=prepared.kind, channel=prepared.channel)


async def on_outcome_decided(envelope: Envelope, uow: UnitOfWork) -> None:
    outcome = decode(envelope, OutcomeDecided)
    await prepare(
        uow, envelope, outcome_notice(envelope.application_id, outcome, envelope.occurred_at)
    )


async def on_supplement_notice_issued(envelope: Envelope, uow: UnitOfWork) -> None:
    issued = decode(envelope, SupplementNoticeIssued)
    await prepare(uow, envelope, supplement_notice(envelope.application_id, issued))


def outcome_handlers(catalog: Catalog) -> dict[str, Handler]:
    async def on_result_held(envelope: Envelope, uow: UnitOfWork) -> None:
        held = decode(envelope, ResultHeld)
        owed = material_names(catalog, held.matter, held.missing)
        notice = held_notice(envelope.application_id, held, owed, envelope.occurred_at)
        await prepare(uow, envelope, notice)

    return {
        OutcomeDecided.event_type: on_outcome_decided,
        SupplementNoticeIssued.event_type: on_supplement_notice_issued,
        ResultHeld.event_type: on_result_held,
    }
