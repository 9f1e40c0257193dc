"""Router handlers: read the application's process from the log, record, decide, append."""

from __future__ import annotations

import structlog

from contracts.catalog import Catalog, UnknownMatter
from contracts.envelope import Envelope, Event
from contracts.events import ApplicationSubmitted
from contracts.registry import decode
from contracts.topics import TASK_RESULT_TYPES
from eventlog.inbox import Handler, UnitOfWork, Unprocessable
from services.router.domain.planning import advance, record, started
from services.router.domain.process import mutate, replay, start

SERVICE = "router"
HANDLED = frozenset({"ApplicationSubmitted", "SupplementSubmitted", "ApplicationWithdrawn"})

log = structlog.get_logger()


def process_stream(envelope: Envelope) -> str:
    return f"process-{envelope.application_id}"


def handle_with(catalog: Catalog) -> Handler:
    matters = dict(catalog.matters)

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        if envelope.event_type not in HANDLED | TASK_RESULT_TYPES:
            return
        stream = process_stream(envelope)
        history = [decode(r.envelope) for r in await uow.read(stream)]
        app_id = str(envelope.application_id)
        if envelope.event_type == ApplicationSubmitted.event_type:
            if history:
                return
            submitted = decode(envelope)
            assert isinstance(submitted, ApplicationSubmitted)
            try:
                matter = catalog.matter(submitted.matter)
            except UnknownMatter as exc:
                raise Unprocessable(str(exc)) from exc
            first = started(submitted)
            decided: list[Event] = [first, *advance(start(app_id, first, matter), matter)]
        elif not history:
            log.warning("no process for this application; ignored", event_type=envelope.event_type)
            return
        else:
            process = replay(app_id, history, matters)
            fact = record(process, envelope)
            if fact is None:
                log.info("changes nothing; ignored", event_type=envelope.event_type)
                return
            decided = [fact, *advance(mutate(process, fact), matters[process.matter])]
        await uow.append(
            stream,
            len(history),
            [
                Envelope.new(
                    e, application_id=envelope.application_id, producer=SERVICE, causation=envelope
                )
                for e in decided
            ],
        )

    return handle
