"""notifier handlers. Skeleton flow: an outcome is recorded as delivered, once."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.events import ResultDelivered
from eventlog.inbox import UnitOfWork

SERVICE = "notifier"


async def on_outcome_decided(envelope: Envelope, uow: UnitOfWork) -> None:
    stream = f"delivery-{envelope.application_id}"
    if await uow.read(stream):
        return
    delivered = ResultDelivered(channel="none")
    event = Envelope.new(
        delivered, application_id=envelope.application_id, producer=SERVICE, causation=envelope
    )
    await uow.append(stream, 0, [event])


HANDLERS = {"OutcomeDecided": on_outcome_decided}
