"""Router handlers. Skeleton flow: one sub-task per application, approved when it completes."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.events import OutcomeDecided, SubtaskCompleted, SubtaskDispatched
from contracts.registry import decode
from eventlog.inbox import UnitOfWork

SERVICE = "router"


def process_stream(envelope: Envelope) -> str:
    return f"process-{envelope.application_id}"


async def on_application_submitted(envelope: Envelope, uow: UnitOfWork) -> None:
    stream = process_stream(envelope)
    if await uow.read(stream):
        return
    dispatched = SubtaskDispatched(
        subtask="amr-review", department="amr", inputs={"form": envelope.payload["form"]}
    )
    event = Envelope.new(
        dispatched, application_id=envelope.application_id, producer=SERVICE, causation=envelope
    )
    await uow.append(stream, 0, [event])


async def on_subtask_completed(envelope: Envelope, uow: UnitOfWork) -> None:
    stream = process_stream(envelope)
    history = await uow.read(stream)
    if not history or any(e.envelope.event_type == "OutcomeDecided" for e in history):
        return
    result = decode(envelope)
    assert isinstance(result, SubtaskCompleted)
    outcome = OutcomeDecided(decision="approved", outputs={result.subtask: result.outputs})
    event = Envelope.new(
        outcome, application_id=envelope.application_id, producer=SERVICE, causation=envelope
    )
    await uow.append(stream, len(history), [event])


HANDLERS = {
    "ApplicationSubmitted": on_application_submitted,
    "SubtaskCompleted": on_subtask_completed,
}
