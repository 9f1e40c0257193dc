"""dept_adapter handlers. Skeleton flow: a dispatched sub-task is recorded as completed."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted, SubtaskDispatched
from contracts.registry import decode
from eventlog.inbox import UnitOfWork

SERVICE = "dept_adapter"


async def on_subtask_dispatched(envelope: Envelope, uow: UnitOfWork) -> None:
    task = decode(envelope)
    assert isinstance(task, SubtaskDispatched)
    stream = f"filing-{envelope.application_id}-{task.subtask}"
    if await uow.read(stream):
        return
    completed = SubtaskCompleted(subtask=task.subtask, department=task.department)
    event = Envelope.new(
        completed, application_id=envelope.application_id, producer=SERVICE, causation=envelope
    )
    await uow.append(stream, 0, [event])


HANDLERS = {"SubtaskDispatched": on_subtask_dispatched}
