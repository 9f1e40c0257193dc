"""The router's handler on the in-memory unit of work: what it appends to the process stream,
the clock marks and library rows it hands the unit to write, and what it refuses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from uuid6 import uuid7

from contracts.calendar import load_calendar
from contracts.catalog import EXAMPLES_DIR, load_catalog
from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted, Delivery, SubtaskCompleted
from eventlog.inbox import Unprocessable
from eventlog.unit_of_work import InMemoryLog, InMemoryUnitOfWork
from services.router.adapters.clock_marks import ClockMarks
from services.router.adapters.e_certificates import ECertificates
from services.router.handlers.journal import process_stream
from services.router.handlers.process import handle_with
from tests.router_flow import MONDAY

CATALOG, CALENDAR = load_catalog(), load_calendar()


class FixedClock:
    def now(self) -> datetime:
        return MONDAY


class WrittenMarks(ClockMarks):
    """Clock marks kept here at commit instead of in the router's table."""

    def __init__(self) -> None:
        super().__init__(conn=None)  # type: ignore[arg-type]
        self.written: dict[str, Any] = {}

    async def flush(self) -> None:
        self.written.update(self.marks)
        self.marks.clear()


class NoLibrary:
    """The library's table, empty."""

    async def fetch(self, *_: object) -> Sequence[object]:
        return []


class HeldCertificates(ECertificates):
    def __init__(self) -> None:
        super().__init__(conn=NoLibrary())  # type: ignore[arg-type]
        self.written: list[Any] = []

    async def flush(self) -> None:
        self.written += self.rows
        self.rows.clear()


def submitted(matter: str = "business-startup") -> Envelope:
    example = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text())
    event = ApplicationSubmitted(
        matter=matter, channel="web", client="web-portal", receipt_number="YC1",
        applicant=example["applicant"], form=example["form"], materials=(),
        delivery=Delivery(channel="email", address="chen@example.cn"),
    )  # fmt: skip
    return Envelope.new(event, application_id=uuid7(), producer="intake")


async def handled(envelope: Envelope, log: InMemoryLog) -> tuple[WrittenMarks, HeldCertificates]:
    marks, certificates = WrittenMarks(), HeldCertificates()
    uow = InMemoryUnitOfWork(log, derived=[marks, certificates])
    await handle_with(CATALOG, CALENDAR, FixedClock())(envelope, uow)
    await uow.commit()
    return marks, certificates


async def test_a_submission_opens_the_process_asks_the_registers_and_marks_its_clock() -> None:
    log, envelope = InMemoryLog(), submitted()
    marks, certificates = await handled(envelope, log)
    stream = log.streams[process_stream(envelope.application_id)]
    types = [e.event_type for e in stream]
    assert types[0] == "router.ProcessStarted" and "RegisterLookupRequested" in types
    assert all(e.causation_id == envelope.event_id for e in stream)
    (mark,) = marks.written.values()
    assert mark[0] == envelope.application_id and mark[2] == len(stream)
    assert mark[1] is not None  # the application's clock is due some day
    assert certificates.written == []


async def test_the_same_submission_again_appends_nothing() -> None:
    log, envelope = InMemoryLog(), submitted()
    await handled(envelope, log)
    before = list(log.streams[process_stream(envelope.application_id)])
    marks, _ = await handled(envelope, log)
    assert log.streams[process_stream(envelope.application_id)] == before
    assert marks.written == {}


async def test_an_answer_for_an_application_without_a_process_is_unprocessable() -> None:
    app = uuid7()
    answer = SubtaskCompleted(
        subtask="amr-licence", department="amr", filing_key=f"{app}:amr-licence:1"
    )
    with pytest.raises(Unprocessable, match="no process"):
        await handled(
            Envelope.new(answer, application_id=app, producer="dept_adapter"), InMemoryLog()
        )
