"""The router's clocks on the real PostgreSQL and broker, on a fake clock (a FileClock, as
ONEWINDOW_CLOCK_FILE gives the services): an application crosses its 80 % and 100 % marks
while the router is stopped, restarted and run as two replicas, and each mark is recorded
exactly once per clock and limit, then published to onewindow.supervision.

Submissions go through the router's handler and inbox (the consumer's own path minus Kafka),
so this test's router processes only this test's applications; the ticker, the index table,
the relay and the restarts are the real ones."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer
from uuid6 import uuid7

from contracts.catalog import EXAMPLES_DIR, load_catalog
from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted, Delivery, RegisterLookupRequested
from contracts.kafka import from_kafka
from contracts.topics import SUPERVISION
from runtime.clock import FileClock
from runtime.service import Service
from services.router.bootstrap import build
from services.router.handlers import process_stream
from services.router.settings import RouterSettings
from tests.registers import agreeing

CATALOG = load_catalog()
CN = ZoneInfo("Asia/Shanghai")
MARKS = ("TimeLimitWarned", "TimeLimitExceeded")


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=CN)


class Router:
    """Starts and stops router replicas on one schema, all reading one clock file."""

    def __init__(self, stack: Any, clock_file: Path) -> None:
        self.schema = "t_router_" + uuid4().hex[:8]
        self.clock = FileClock(clock_file)
        self.settings = RouterSettings(
            database_url=stack.database_url,
            kafka_bootstrap_servers=stack.kafka,
            clock_file=clock_file,
            clock_tick_seconds=0.1,
            startup_timeout_seconds=60,
        )
        self.running: list[Service] = []
        (self.consumer,) = build(self.settings, schema=self.schema).consumers

    async def start(self, replicas: int = 1) -> None:
        for _ in range(replicas):
            # no Kafka consumer: submissions come through `submit`, so only ours are processed
            service = replace(build(self.settings, schema=self.schema), consumers=())
            await service.start()
            self.running.append(service)

    async def stop(self) -> None:
        while self.running:
            await self.running.pop().stop()

    async def submit(self, matter: str) -> Envelope:
        example = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text(encoding="utf-8"))
        submitted = ApplicationSubmitted(
            matter=matter, channel="window", client="hall-1", receipt_number=f"YC-{matter}",
            applicant=example["applicant"], form=example["form"], in_person=True,
            delivery=Delivery(channel="email", address="chen@example.cn"),
        )  # fmt: skip
        envelope = Envelope.new(submitted, application_id=uuid7(), producer="intake")
        await self.handled(envelope)
        # the registers agree with the form: the sub-tasks are dispatched once they answer
        (asked,) = [
            RegisterLookupRequested.model_validate(e.payload)
            for e in await self.log(envelope.application_id)
            if e.event_type == RegisterLookupRequested.event_type
        ]
        answer = agreeing(
            CATALOG.matter(matter), example["form"], asked, applicant=example["applicant"]
        )
        await self.handled(
            Envelope.new(answer, application_id=envelope.application_id, producer="dept_adapter")
        )
        return envelope

    async def handled(self, envelope: Envelope) -> None:
        """Through the router's handler and inbox, at the fake clock's time."""
        envelope = envelope.model_copy(update={"occurred_at": self.clock.now()})
        inbox = self.consumer.inbox(self.running[0].pool, f"{self.schema}.process")
        fresh, rejected = await inbox.process([envelope], self.consumer.handle)
        assert (fresh, rejected) == (1, [])

    async def log(self, application_id: UUID) -> list[Envelope]:
        records = await self.running[0].store.read(process_stream(application_id))
        return [r.envelope for r in records]

    async def marks(self, application_id: UUID) -> Counter[tuple[str, str, str, str]]:
        return Counter(
            (e.event_type, e.payload["clock"], e.payload["clock_id"], e.payload["limit"])
            for e in await self.log(application_id)
            if e.event_type in MARKS
        )


@pytest.fixture
async def router(stack: Any, tmp_path: Path) -> AsyncIterator[Router]:
    clock_file = tmp_path / "now"
    FileClock(clock_file).set(at(2, 10))  # Monday 2 March 2026, 10:00
    router = Router(stack, clock_file)
    try:
        yield router
    finally:
        await router.stop()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


def has(
    router: Router, app: UUID, *wanted: tuple[str, str, str, str]
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        found = await router.marks(app)
        return all(found[w] >= 1 for w in wanted)

    return check


async def test_marks_cross_restarts_and_replicas_and_land_exactly_once(router: Router) -> None:
    await router.start()
    startup = (await router.submit("business-startup")).application_id  # promised 1, statutory 3
    canary = (await router.submit("newborn")).application_id  # promised 5: marks come later

    router.clock.set(at(3, 19, 12))  # 80 % of the promised day, and of amr-licence's
    await eventually(
        has(router, startup,
            ("TimeLimitWarned", "application", "application", "promised"),
            ("TimeLimitWarned", "subtask", "amr-licence", "own"))
    )  # fmt: skip
    await router.stop()

    router.clock.set(at(4))  # 100 %, reached while no router runs
    await router.start(replicas=2)
    await eventually(
        has(router, startup,
            ("TimeLimitExceeded", "application", "application", "promised"),
            ("TimeLimitExceeded", "subtask", "amr-licence", "own"))
    )  # fmt: skip
    router.clock.set(at(6))  # both statutory marks (Thu 09:36, Fri 00:00) at once
    await eventually(
        has(router, startup,
            ("TimeLimitWarned", "application", "application", "statutory"),
            ("TimeLimitExceeded", "application", "application", "statutory"))
    )  # fmt: skip
    await router.stop()

    await router.start()
    router.clock.set(at(7))  # the canary's promised 80 %: proof the restarted ticker looked
    await eventually(
        has(router, canary, ("TimeLimitWarned", "application", "application", "promised"))
    )
    assert await router.marks(startup) == Counter(
        {
            (kind, clock, clock_id, limit): 1
            for kind in MARKS
            for clock, clock_id, limit in (
                ("application", "application", "promised"),
                ("application", "application", "statutory"),
                ("subtask", "amr-licence", "own"),
            )
        }
    )
    await _caused_by_the_process(router, startup)
    await _published(router, startup, expected=6)


async def _caused_by_the_process(router: Router, app: UUID) -> None:
    log = await router.log(app)
    submitted_correlation = log[0].correlation_id
    for version, envelope in enumerate(log):
        if envelope.event_type in MARKS:
            assert envelope.correlation_id == submitted_correlation
            assert envelope.causation_id in {e.event_id for e in log[:version]}
            assert envelope.producer == "router"
    promised = next(
        e for e in log if e.event_type == "TimeLimitExceeded" and e.payload["limit"] == "promised"
    )
    assert datetime.fromisoformat(promised.payload["due_at"]) == at(4)
    assert promised.occurred_at == at(4)  # stamped with the injected clock


async def _published(router: Router, app: UUID, expected: int) -> None:
    consumer = AIOKafkaConsumer(
        SUPERVISION, bootstrap_servers=router.settings.kafka_bootstrap_servers,
        group_id=f"test-{uuid7()}", auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen: set[UUID] = set()
    try:
        async with asyncio.timeout(30):
            while len(seen) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        envelope = from_kafka(record.key, record.value, record.headers or ())
                        if envelope.application_id == app:
                            seen.add(envelope.event_id)
    finally:
        await consumer.stop()
    assert len(seen) == expected
