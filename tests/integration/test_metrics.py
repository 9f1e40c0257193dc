"""/metrics on services started in-process against the real PostgreSQL and broker: a real
submission moves intake's counter by exactly one, the broker, relay-lag and consumer-lag
series show, and the router counts an outcome once however often its cause is redelivered.

The router gets its events through its handler and inbox (the consumer's own path minus
Kafka), so it processes only this test's application."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from contracts.catalog import EXAMPLES_DIR, load_catalog
from contracts.envelope import Envelope
from contracts.events import RegisterLookupRequested, SubtaskRejected
from eventlog.inbox import Inbox, UnitOfWork, Unprocessable
from eventlog.kafka_publisher import KafkaEventPublisher
from eventlog.relay import Relay
from eventlog.store import EventStore
from runtime.service import Service
from services.intake.adapters import issue_api_key
from services.router.bootstrap import build as build_router
from services.router.handlers import process_stream
from services.router.settings import RouterSettings
from tests.helpers import event
from tests.integration.in_process import client_of, intake_on, running
from tests.registers import agreeing

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
MATTER = "business-startup"


@pytest.fixture(scope="module")
async def intake(stack) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    async with running(intake_on(stack)) as service:
        yield service


@pytest.fixture(scope="module")
async def router(stack) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    settings = RouterSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.kafka,
        startup_timeout_seconds=60,
    )
    # no Kafka consumer: events come through its inbox below, so only ours are processed
    service = replace(build_router(settings, schema="t_router_" + uuid4().hex[:8]), consumers=())
    async with running(service) as started:
        yield started


async def scrape(service: Service) -> Samples:
    transport = httpx.ASGITransport(app=service.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def matching(samples: Samples, name: str, **labels: str) -> list[float]:
    wanted = set(labels.items())
    return [v for (n, ls), v in samples.items() if n == name and wanted <= ls]


async def eventually(service: Service, holds: Callable[[Samples], bool]) -> Samples:
    """Scrape until `holds` (the relay and consumers work on their own time), or fail."""
    for _ in range(150):
        samples = await scrape(service)
        if holds(samples):
            return samples
        await asyncio.sleep(0.1)
    raise AssertionError("the metrics never showed it")


async def test_a_submission_counts_once_and_intake_shows_consumer_and_lag_series(
    intake: Service,
) -> None:
    key = await issue_api_key(intake.pool, f"web-{uuid4().hex[:8]}", "web")
    body = json.loads((EXAMPLES_DIR / f"{MATTER}.json").read_text(encoding="utf-8"))
    body["delivery"] = {"channel": "email", "address": "chen@example.cn"}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid4())}
    submitted = "onewindow_applications_submitted_total"
    before = value(await scrape(intake), submitted, matter=MATTER, channel="web") or 0.0

    async with client_of(intake) as client:
        first = await client.post("/v1/applications", json=body, headers=headers)
        again = await client.post("/v1/applications", json=body, headers=headers)
    assert first.status_code == again.status_code == 202, first.text
    assert first.json() == again.json()  # the repeat is the same submission, not a new one

    samples = await scrape(intake)
    assert value(samples, submitted, matter=MATTER, channel="web") == before + 1
    group = f"{intake.name}.read-model"
    samples = await eventually(
        intake,
        lambda s: (
            value(s, "onewindow_relay_lag_events", service=intake.name) == 0
            and sum(matching(s, "onewindow_consumer_records_total", group=group)) > 0
            and bool(matching(s, "onewindow_consumer_lag_records", group=group))
        ),
    )
    assert all(lag >= 0 for lag in matching(samples, "onewindow_consumer_lag_records"))
    assert value(samples, "process_cpu_seconds_total") is not None


async def test_an_outcome_counts_once_however_often_its_cause_is_redelivered(
    intake: Service, router: Service
) -> None:
    key = await issue_api_key(intake.pool, f"kiosk-{uuid4().hex[:8]}", "kiosk")
    body = json.loads((EXAMPLES_DIR / f"{MATTER}.json").read_text(encoding="utf-8"))
    body["delivery"] = {"channel": "sms", "address": "13800138000"}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid4())}
    async with client_of(intake) as client:
        answer = await client.post("/v1/applications", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    application_id = UUID(answer.json()["application_id"])
    (submission,) = [r.envelope for r in await intake.store.read_application(application_id)]

    (process,) = build_router(router.settings, schema=router.name).consumers  # its own, unstarted
    inbox, handle = process.inbox(router.pool, f"{router.name}.process"), process.handle
    assert await inbox.process([submission], handle) == (1, [])
    log = [r.envelope for r in await router.store.read(process_stream(application_id))]
    (asked,) = [e.payload for e in log if e.event_type == "RegisterLookupRequested"]
    registers = agreeing(
        load_catalog().matter(MATTER),
        body["form"],
        RegisterLookupRequested.model_validate(asked),
        applicant=body["applicant"],
    )
    answered = Envelope.new(registers, application_id=application_id, producer="dept_adapter")
    assert await inbox.process([answered], handle) == (1, [])
    log = [r.envelope for r in await router.store.read(process_stream(application_id))]
    (dispatched,) = [e.payload for e in log if e.event_type == "SubtaskDispatched"]
    rejected = Envelope.new(
        SubtaskRejected(
            subtask=dispatched["subtask"],
            department=dispatched["department"],
            filing_key=dispatched["filing_key"],
            reason="经营范围不符合规定",
        ),
        application_id=application_id,
        producer="dept_adapter",
    )

    def counted(s: Samples) -> tuple[float | None, ...]:
        return (
            value(s, "onewindow_applications_completed_total", matter=MATTER, decision="rejected"),
            value(s, "onewindow_time_to_result_seconds_count", matter=MATTER),
            value(
                s,
                "onewindow_subtask_duration_seconds_count",
                department=dispatched["department"],
                answer="rejected",
            ),
        )

    before = [c or 0.0 for c in counted(await scrape(router))]
    assert await inbox.process([rejected], handle) == (1, [])
    log = [r.envelope for r in await router.store.read(process_stream(application_id))]
    assert [e.payload["decision"] for e in log if e.event_type == "OutcomeDecided"] == ["rejected"]
    assert counted(await scrape(router)) == tuple(b + 1 for b in before)

    # Kafka redelivers the same record: the inbox drops it
    assert await inbox.process([rejected], handle) == (0, [])
    # the department sends its answer again as a new event: the router records nothing
    resent = rejected.model_copy(update={"event_id": uuid4()})
    assert await inbox.process([resent], handle) == (1, [])
    samples = await eventually(
        router, lambda s: value(s, "onewindow_relay_lag_events", service=router.name) == 0
    )
    assert counted(samples) == tuple(b + 1 for b in before)


async def test_relay_reports_its_lag_before_and_after_each_batch(
    stack,  # type: ignore[no-untyped-def]
    pool: asyncpg.Pool,
) -> None:
    store = EventStore(pool)
    for n in range(3):
        await store.append(f"s-{n}", 0, [event(n=n)])
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka)
    await producer.start()
    lags: list[int] = []
    try:
        relay = Relay(pool, KafkaEventPublisher(producer), batch_size=2, report_lag=lags.append)
        assert await relay.publish_pending() == 3
    finally:
        await producer.stop()
    # batch 1: 3 pending, 1 left; batch 2: 1 pending, none left; then nothing to publish
    assert lags == [3, 1, 1, 0, 0]


async def test_after_commit_actions_run_once_for_the_attempt_that_committed(
    pool: asyncpg.Pool,
) -> None:
    ran: list[UUID] = []
    conflicted: set[UUID] = set()
    await EventStore(pool).append("taken", 0, [event()])

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        uow.after_commit(lambda: ran.append(envelope.event_id))
        if envelope.payload["outputs"]["n"] == 13:
            raise Unprocessable("thirteen")
        if envelope.event_id not in conflicted:  # the first try appends behind a stale version
            conflicted.add(envelope.event_id)
            uow.append("taken", 0, [event()])
        uow.append(f"h-{envelope.event_id}", 0, [event()])

    inbox = Inbox(pool, "after-commit")
    good, poison = event(n=1), event(n=13)
    fresh, rejected = await inbox.process([good, poison], handle)
    assert (fresh, [e.event_id for e, _ in rejected]) == (1, [poison.event_id])
    assert ran == [good.event_id]  # not for the conflicted try, nor the poisoned one
    assert await inbox.process([good], handle) == (0, [])  # redelivered: nothing runs
    assert ran == [good.event_id]
