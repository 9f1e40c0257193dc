"""What every handler of the notifier does with a notice it decided on: record it as the
one NoticePrepared of its own stream, once.

A stream that exists already means the notice was prepared (and is sent or being sent):
a second cause for the same notice, even under a new event id, adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import structlog
from pydantic import ValidationError

from contracts.envelope import Envelope, Event
from eventlog.inbox import Unprocessable
from eventlog.unit_of_work import UnitOfWork
from services.notifier import SERVICE
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.notices import notice_stream

E = TypeVar("E", bound=Event)
log = structlog.get_logger()


def payload_of(envelope: Envelope, model: type[E]) -> E:
    try:
        return model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise Unprocessable(f"{envelope.event_type} is not valid: {exc}") from exc


async def prepare(uow: UnitOfWork, cause: Envelope, prepared: NoticePrepared, at: datetime) -> None:
    stream = notice_stream(cause.application_id, prepared.notice_key)
    if await uow.read(stream):
        log.info("notice prepared before; nothing new is sent", stream=stream)
        return
    event = Envelope.new(
        prepared,
        application_id=cause.application_id,
        producer=SERVICE,
        causation=cause,
        occurred_at=at,
    )
    uow.append(stream, 0, [event])
    log.info("notice prepared", stream=stream, kind=prepared.kind, channel=prepared.channel)
