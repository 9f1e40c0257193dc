"""The notifier's handlers on an in-memory unit of work: a notice is prepared once, a
reminder waits for its submission, and a prepared notice is delivered and recorded once."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from uuid import UUID

import pytest

from contracts.catalog import load_catalog
from contracts.envelope import Envelope, Event
from contracts.events import ApplicationSubmitted, Delivery, MaterialsHandedIn
from eventlog.inbox import Unprocessable
from eventlog.retry import Backoff
from eventlog.store import ConcurrencyConflict, RecordedEvent
from eventlog.unit_of_work import InMemoryLog, InMemoryUnitOfWork
from services.notifier.adapters.applications import Applications
from services.notifier.domain.applications import KnownApplication
from services.notifier.domain.delivery import retryable
from services.notifier.handlers import application_handlers, clock_handlers, outcome_handlers
from services.notifier.handlers.delivery import RetryPolicy, deliver
from tests.notices import APPLICATION, WATCHERS, Pauses, ScriptedSender, clock_event, outcome

CATALOG = load_catalog()
OUTCOMES = outcome_handlers(CATALOG)
CLOCKS = clock_handlers(WATCHERS, CATALOG)
SUBMISSIONS = application_handlers(CATALOG)
REMINDER = "clock:deficiency:deficiency:own:warned:applicant"


class MemoryApplications(Applications):
    """The applications projection in a dict (None: a placeholder awaiting its submission)."""

    def __init__(self) -> None:
        self.rows: dict[UUID, KnownApplication | None] = {}

    async def note_submission(
        self, application_id: UUID, known: KnownApplication, submitted_at: datetime
    ) -> None:
        self.rows[application_id] = known

    async def hand_in(self, application_id: UUID, materials: tuple[str, ...]) -> None:
        if (known := self.rows.get(application_id)) is not None:
            owed = tuple(m for m in known.materials_owed if m not in materials)
            self.rows[application_id] = dataclasses.replace(known, materials_owed=owed)

    async def lookup(self, application_id: UUID) -> KnownApplication | None:
        return self.rows.get(application_id)

    async def hold(self, application_id: UUID) -> KnownApplication | None:
        return self.rows.setdefault(application_id, None)


async def handled(
    handlers: dict[str, object], envelope: Envelope, log: InMemoryLog, *fakes: Applications
) -> None:
    uow = InMemoryUnitOfWork(log, fakes)
    handler = handlers[envelope.event_type]
    await handler(envelope, uow)  # type: ignore[operator]
    await uow.commit()


def on(event: Event, producer: str = "router") -> Envelope:
    return Envelope.new(event, application_id=APPLICATION, producer=producer)


def submitted(deferred: tuple[str, ...] = ()) -> Envelope:
    event = ApplicationSubmitted(
        matter="business-startup",
        channel="window",
        client="window-1",
        receipt_number="YW20250304000123",
        applicant={"name": "陈明"},
        form={},
        delivery=Delivery(channel="email", address="chen@example.cn"),
        in_person=True,
        deferred_materials=deferred,
        materials_promised_by=date(2025, 3, 10) if deferred else None,
    )
    return on(event, "intake")


def types(log: InMemoryLog, stream: str) -> list[str]:
    return [e.event_type for e in log.streams.get(stream, [])]


async def test_an_outcome_is_prepared_once_whatever_its_event_id() -> None:
    log = InMemoryLog()
    first = on(outcome())
    await handled(OUTCOMES, first, log)
    await handled(OUTCOMES, on(outcome()), log)  # the same outcome again, a new event id

    [prepared] = log.streams[f"notice-{APPLICATION}-outcome"]
    assert prepared.event_type == "NoticePrepared" and prepared.causation_id == first.event_id
    assert prepared.payload["kind"] == "result" and prepared.payload["channel"] == "webhook"
    assert list(log.streams) == [f"notice-{APPLICATION}-outcome"]


async def test_an_invalid_outcome_is_unprocessable_and_prepares_nothing() -> None:
    good = on(outcome())
    payload = {k: v for k, v in good.payload.items() if k != "delivery"}
    bad = Envelope.model_validate({**good.model_dump(), "payload": payload})
    log = InMemoryLog()
    with pytest.raises(Unprocessable, match="delivery"):
        await handled(OUTCOMES, bad, log)
    assert log.streams == {}


async def test_a_reminder_before_its_submission_waits_and_the_submission_prepares_it() -> None:
    log, applications = InMemoryLog(), MemoryApplications()
    warned = on(clock_event("warned", clock="deficiency", clock_id="deficiency", limit="own"))
    await handled(CLOCKS, warned, log, applications)
    await handled(CLOCKS, warned, log, applications)  # a redelivery parks nothing more

    [waiting] = log.streams[f"waiting-{APPLICATION}"]
    assert waiting.payload["notice_key"] == REMINDER and applications.rows == {APPLICATION: None}
    assert types(log, f"notice-{APPLICATION}-{REMINDER}") == []

    await handled(SUBMISSIONS, submitted(("premises-proof",)), log, applications)
    [prepared] = log.streams[f"notice-{APPLICATION}-{REMINDER}"]
    assert prepared.causation_id == waiting.event_id
    assert prepared.payload["address"] == "chen@example.cn" and "陈明" in prepared.payload["text"]


async def test_a_reminder_after_its_submission_is_prepared_at_once_with_what_is_owed() -> None:
    log, applications = InMemoryLog(), MemoryApplications()
    await handled(SUBMISSIONS, submitted(("premises-proof", "employee-list")), log, applications)
    handed_in = on(MaterialsHandedIn(materials=("employee-list",), in_person=True), "intake")
    await handled(SUBMISSIONS, handed_in, log, applications)
    warned = on(clock_event("warned", clock="deficiency", clock_id="deficiency", limit="own"))
    await handled(CLOCKS, warned, log, applications)

    assert types(log, f"waiting-{APPLICATION}") == []
    [prepared] = log.streams[f"notice-{APPLICATION}-{REMINDER}"]
    text = prepared.payload["text"]
    assert "住所（经营场所）使用证明" in text and "参保职工花名册" not in text


async def test_an_overdue_subtask_is_prepared_for_supervision_and_its_department() -> None:
    log, applications = InMemoryLog(), MemoryApplications()
    await handled(CLOCKS, on(clock_event("exceeded")), log, applications)

    keys = sorted(s.rsplit(":", 1)[-1] for s in log.streams)
    assert keys == ["department", "supervision-email", "supervision-webhook"]
    assert applications.rows == {}  # supervision needs no address: nothing held


class MemoryNotices:
    """Notice streams in memory; `record` appends at version 2 only."""

    def __init__(self, prepared: Envelope) -> None:
        self.stream, self.events = f"notice-{APPLICATION}-outcome", [prepared]

    async def still_pending(self, stream_id: str) -> RecordedEvent | None:
        if len(self.events) != 1:
            return None
        return RecordedEvent(1, stream_id, 1, self.events[0], None, b"", datetime.now())

    async def record(self, stream_id: str, outcome: Envelope) -> None:
        if len(self.events) != 1:
            raise ConcurrencyConflict(stream_id, 1, len(self.events))
        self.events.append(outcome)


async def prepared_outcome(address: str = "https://hooks.example.cn/x") -> Envelope:
    log = InMemoryLog()
    await handled(OUTCOMES, on(outcome(delivery={"channel": "webhook", "address": address})), log)
    [prepared] = log.streams[f"notice-{APPLICATION}-outcome"]
    return prepared


POLICY = RetryPolicy(3, Backoff(first=0.5, cap=1.0, draw=lambda: 1.0))


async def test_a_prepared_notice_is_delivered_after_its_retries_and_recorded_once() -> None:
    notices = MemoryNotices(await prepared_outcome())
    sender, pauses = ScriptedSender(retryable("HTTP 503")), Pauses()
    await deliver(notices.stream, notices, {"webhook": sender}, POLICY, pauses)
    await deliver(notices.stream, notices, {"webhook": sender}, POLICY, pauses)

    assert [e.event_type for e in notices.events] == ["NoticePrepared", "NoticeDelivered"]
    assert notices.events[1].causation_id == notices.events[0].event_id
    assert notices.events[1].payload["attempts"] == 2 and sender.sent == 2
    assert pauses.waited == [0.5]


async def test_a_delivery_stopped_in_its_back_off_records_nothing() -> None:
    notices = MemoryNotices(await prepared_outcome())
    sender = ScriptedSender(retryable("HTTP 503"))
    await deliver(notices.stream, notices, {"webhook": sender}, POLICY, Pauses(stop_after=1))
    assert [e.event_type for e in notices.events] == ["NoticePrepared"]


async def test_a_notice_is_prepared_at_the_notifiers_own_time() -> None:
    class Stopped:
        def now(self) -> datetime:
            return datetime.fromisoformat("2030-01-02T03:04:05+00:00")

    log = InMemoryLog()
    await handled(outcome_handlers(CATALOG, Stopped()), on(outcome()), log)

    [prepared] = log.streams[f"notice-{APPLICATION}-outcome"]
    assert prepared.occurred_at == Stopped().now()
