"""dept_adapter's inbox handlers on an in-memory unit of work: a task, a cancellation and a
lookup are recorded once in their own stream, with no call to an outside system."""

from __future__ import annotations

from datetime import datetime

import pytest
from uuid6 import uuid7

from contracts.envelope import Envelope, Event
from contracts.events import (
    DatasetLookup,
    RegisterLookupRequested,
    SubtaskCancelled,
    SubtaskDispatched,
    WantedRecord,
)
from eventlog.inbox import Unprocessable
from eventlog.unit_of_work import InMemoryLog, InMemoryUnitOfWork
from services.dept_adapter.handlers.inbox import filing_streams, inbox_handlers

APPLICATION = uuid7()
KEY = f"{APPLICATION}:amr-licence:1"
HANDLERS = inbox_handlers({"amr", "nrb"})


def envelope(event: Event) -> Envelope:
    return Envelope.new(event, application_id=APPLICATION, producer="router")


def dispatched(department: str = "amr") -> Envelope:
    return envelope(
        SubtaskDispatched(
            subtask="amr-licence",
            department=department,
            title="企业设立登记",
            filing_key=KEY,
            inputs={"company_name": "杭州云帆科技有限公司"},
            time_limit_days=3,
        )
    )


def cancelled() -> Envelope:
    return envelope(
        SubtaskCancelled(
            subtask="amr-licence", department="amr", filing_key=KEY, reason="另一部门不予办理"
        )
    )


async def handle(log: InMemoryLog, message: Envelope) -> None:
    uow = InMemoryUnitOfWork(log)
    await HANDLERS[message.event_type](message, uow)
    await uow.commit()


def types(log: InMemoryLog, stream: str) -> list[str]:
    return [e.event_type for e in log.streams.get(stream, [])]


async def test_a_task_is_recorded_once_as_a_filing_request_caused_by_the_dispatch() -> None:
    log, task = InMemoryLog(), dispatched()
    (stream,) = filing_streams(task)
    await handle(log, task)
    await handle(log, task)  # delivered again
    assert types(log, stream) == ["DeptAdapterFilingRequested"]
    (requested,) = log.streams[stream]
    assert requested.causation_id == task.event_id
    assert requested.payload["inputs"] == {"company_name": "杭州云帆科技有限公司"}


async def test_a_task_for_a_department_not_served_here_is_unprocessable() -> None:
    log = InMemoryLog()
    with pytest.raises(Unprocessable, match="'psb'"):
        await handle(log, dispatched("psb"))
    assert log.streams == {}


async def test_a_cancellation_of_a_filing_never_dispatched_is_confirmed_at_once() -> None:
    log, cancel = InMemoryLog(), cancelled()
    (stream,) = filing_streams(cancel)
    await handle(log, cancel)
    assert types(log, stream) == ["FilingCancelled"]
    assert log.streams[stream][0].payload["confirmed"] is True


async def test_a_cancellation_of_a_filing_is_requested_once() -> None:
    log = InMemoryLog()
    await handle(log, dispatched())
    await handle(log, cancelled())
    await handle(log, cancelled())  # asked again
    (stream,) = filing_streams(cancelled())
    assert types(log, stream) == ["DeptAdapterFilingRequested", "DeptAdapterCancellationRequested"]


async def test_a_lookup_is_recorded_once_in_its_own_stream() -> None:
    part = DatasetLookup(
        dataset="population",
        purpose="*intake",
        materials=("id-legal-person",),
        subtasks=("amr-licence",),
        records=(WantedRecord(key="330106199003071236", fields=("name",)),),
    )
    asked = envelope(
        RegisterLookupRequested(
            lookup_key=f"{APPLICATION}:lookup:1", matter="business-startup", lookups=(part,)
        )
    )
    log = InMemoryLog()
    await handle(log, asked)
    await handle(log, asked)
    assert filing_streams(asked) == [f"lookup-{APPLICATION}:lookup:1"]
    assert types(log, f"lookup-{APPLICATION}:lookup:1") == ["DeptAdapterLookupRequested"]


async def test_a_task_is_recorded_at_the_adapters_own_time() -> None:
    class Stopped:
        def now(self) -> datetime:
            return datetime.fromisoformat("2030-01-02T03:04:05+00:00")

    log, message = InMemoryLog(), dispatched()
    uow = InMemoryUnitOfWork(log)
    await inbox_handlers({"amr"}, Stopped())[message.event_type](message, uow)
    await uow.commit()

    [requested] = log.streams[filing_streams(message)[0]]
    assert requested.occurred_at == Stopped().now()
