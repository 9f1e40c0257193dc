"""The outbox relay against the real PostgreSQL and the real broker."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from uuid import UUID

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from uuid6 import uuid7

from contracts.kafka import from_kafka
from contracts.topics import TASK_RESULTS
from eventlog.kafka_publisher import KafkaEventPublisher
from eventlog.published import Placed
from eventlog.relay import Relay
from eventlog.store import RecordedEvent, StreamAppend, append_streams
from tests.helpers import event


@pytest.fixture
async def producer(stack) -> AsyncIterator[AIOKafkaProducer]:  # type: ignore[no-untyped-def]
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all", linger_ms=5)
    await producer.start()
    yield producer
    await producer.stop()


async def received(kafka: str, applications: set[UUID], expected: int) -> list[tuple[UUID, int]]:
    """(application_id, n) of every event of these applications on the topic, in order."""
    consumer = AIOKafkaConsumer(
        TASK_RESULTS, bootstrap_servers=kafka, group_id=f"test-{uuid7()}",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen: list[tuple[UUID, int]] = []
    try:
        async with asyncio.timeout(60):
            while len(seen) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for record in (r for records in batch.values() for r in records):
                    envelope = from_kafka(record.key, record.value, record.headers)
                    if envelope.application_id in applications:
                        seen.append((envelope.application_id, envelope.payload["outputs"]["n"]))
        extra = await consumer.getmany(timeout_ms=1000)  # nothing beyond what we expect
        for record in (r for records in extra.values() for r in records):
            envelope = from_kafka(record.key, record.value, record.headers)
            if envelope.application_id in applications:
                seen.append((envelope.application_id, envelope.payload["outputs"]["n"]))
    finally:
        await consumer.stop()
    return seen


async def test_concurrent_writers_nothing_skipped_order_kept(
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
    stack,  # type: ignore[no-untyped-def]
) -> None:
    writers, appends_each, events_each = 8, 15, 4
    streams = [uuid7() for _ in range(writers * 2)]
    versions = dict.fromkeys(streams, 0)
    relay = Relay(pool, KafkaEventPublisher(producer), batch_size=50, idle_poll_seconds=0.05)
    stop = asyncio.Event()
    relaying = asyncio.create_task(relay.run(stop))

    async def writer(w: int) -> None:
        rng = random.Random(w)
        for _ in range(appends_each):
            app = streams[rng.randrange(len(streams))]
            async with pool.acquire() as conn:
                while True:
                    try:
                        async with conn.transaction():
                            start = versions[app]
                            new = [event(app, start + i) for i in range(events_each)]
                            await append_streams(conn, [StreamAppend(str(app), start, new)])
                            await asyncio.sleep(rng.uniform(0, 0.02))  # commit late
                        versions[app] = start + events_each
                        break
                    except Exception as exc:  # a conflict: another writer got there first
                        assert type(exc).__name__ == "ConcurrencyConflict"
                        await asyncio.sleep(0)

    await asyncio.gather(*(writer(w) for w in range(writers)))
    total = writers * appends_each * events_each
    seen = await received(stack.kafka, set(streams), total)
    stop.set()
    await relaying
    assert len(seen) == total, "every event published exactly once"
    for app in streams:
        assert [n for a, n in seen if a == app] == list(range(versions[app]))


class CrashingPublisher:
    """Publishes for real, then dies before the relay can move its checkpoint."""

    def __init__(self, real: KafkaEventPublisher, crash_on_batch: int) -> None:
        self.real, self.crash_on_batch, self.batches = real, crash_on_batch, 0

    async def publish(self, events: Sequence[RecordedEvent]) -> Sequence[Placed | None]:
        placed = await self.real.publish(events)
        self.batches += 1
        if self.batches == self.crash_on_batch:
            raise ConnectionError("relay died after the broker acknowledged")
        return placed


async def test_restarted_relay_resumes_from_its_checkpoint(
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
    stack,  # type: ignore[no-untyped-def]
) -> None:
    app, batch = uuid7(), 25
    async with pool.acquire() as conn, conn.transaction():
        await append_streams(conn, [StreamAppend(str(app), 0, [event(app, n) for n in range(200)])])
    crashing = Relay(pool, CrashingPublisher(KafkaEventPublisher(producer), 3), batch_size=batch)
    with pytest.raises(ConnectionError):
        await crashing.publish_pending()
    assert await crashing.pending() == 200 - 2 * batch
    resumed = Relay(pool, KafkaEventPublisher(producer), batch_size=batch)
    assert await resumed.publish_pending() == 200 - 2 * batch
    seen = [n for _, n in await received(stack.kafka, {app}, 200 + batch)]
    # Only the batch whose checkpoint was lost went out twice.
    assert seen == list(range(3 * batch)) + list(range(2 * batch, 200))


async def test_a_stopping_relay_publishes_what_is_left(
    pool: asyncpg.Pool, producer: AIOKafkaProducer
) -> None:
    app = uuid7()
    async with pool.acquire() as conn, conn.transaction():
        await append_streams(conn, [StreamAppend(str(app), 0, [event(app, n) for n in range(500)])])
    stop = asyncio.Event()
    stop.set()  # SIGTERM arrived before the relay got to the backlog
    await Relay(pool, KafkaEventPublisher(producer), batch_size=100).run(stop)
    assert await Relay(pool, KafkaEventPublisher(producer)).pending() == 0


class CountingPublisher:
    def __init__(self, real: KafkaEventPublisher) -> None:
        self.real, self.published = real, 0

    async def publish(self, events: Sequence[RecordedEvent]) -> Sequence[Placed | None]:
        placed = await self.real.publish(events)
        self.published += len(events)
        return placed


async def test_a_second_replica_s_relay_stands_by_and_takes_over_when_the_first_is_gone(
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
    stack,  # type: ignore[no-untyped-def]
    schema_name: str,
) -> None:
    before, after = uuid7(), uuid7()
    publishers = [CountingPublisher(KafkaEventPublisher(producer)) for _ in range(2)]
    async with asyncpg.create_pool(
        stack.database_url, min_size=1, max_size=5, server_settings={"search_path": schema_name}
    ) as replica_pool:  # the second replica's own pool
        relays = [
            Relay(p, publisher, idle_poll_seconds=0.05, standby_seconds=0.1)
            for p, publisher in zip((pool, replica_pool), publishers, strict=True)
        ]
        stops = [asyncio.Event(), asyncio.Event()]
        first = asyncio.create_task(relays[0].run(stops[0]))
        holder = await _relay_lock_holder(pool, schema_name)
        second = asyncio.create_task(relays[1].run(stops[1]))
        try:
            await _append(pool, before, 50)
            await _published(relays[1])
            assert [p.published for p in publishers] == [50, 0]  # the second stood by

            await pool.execute("SELECT pg_terminate_backend($1)", holder)  # as a crash
            with pytest.raises(ConnectionError):
                await asyncio.wait_for(first, 10)
            await _append(pool, after, 50)
            await _published(relays[1])
            assert [p.published for p in publishers] == [50, 50]
        finally:
            for stop in stops:
                stop.set()
            await asyncio.gather(first, second, return_exceptions=True)
    seen = await received(stack.kafka, {before, after}, 100)
    assert [n for a, n in seen if a == before] == list(range(50))
    assert [n for a, n in seen if a == after] == list(range(50))


async def _append(pool: asyncpg.Pool, app: UUID, count: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await append_streams(
            conn, [StreamAppend(str(app), 0, [event(app, n) for n in range(count)])]
        )


async def _published(relay: Relay) -> None:
    async with asyncio.timeout(20):
        while await relay.pending():
            await asyncio.sleep(0.05)


async def _relay_lock_holder(pool: asyncpg.Pool, schema: str) -> int:
    async with asyncio.timeout(10):
        while True:
            pid = await pool.fetchval(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objid = (hashtext($1)::bigint & 4294967295)::oid AND objsubid = 1",
                "relay:" + schema,
            )
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.02)


class PlacingPublisher:
    """A broker of its own: each event placed at the next offset of one partition."""

    def __init__(self) -> None:
        self.published: list[int] = []

    async def publish(self, events: Sequence[RecordedEvent]) -> Sequence[Placed | None]:
        placed = []
        for e in events:
            placed.append(Placed(TASK_RESULTS, 0, len(self.published)))
            self.published.append(e.position)
        return placed


class LosingOnce:
    """A broker watch that finds, once asked after `lose` is set, the last event gone."""

    def __init__(self) -> None:
        self.lose, self.told = asyncio.Event(), False

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def missing(self, markers: object) -> list[tuple[str, int]]:
        if self.lose.is_set() and not self.told:
            self.told = True
            return [(TASK_RESULTS, 0)]
        return []

    async def committed(self, partitions: object) -> dict[tuple[str, int], int]:
        return {}


async def test_after_a_loss_what_followed_it_is_published_once_more_when_it_settled(
    pool: asyncpg.Pool,
) -> None:
    publisher, watch = PlacingPublisher(), LosingOnce()

    def relay() -> Relay:
        return Relay(
            pool,
            publisher,
            idle_poll_seconds=0.05,
            watch=watch,  # type: ignore[arg-type]
            watch_seconds=0.05,
            loss_settle_seconds=1.0,
        )

    async def published(count: int) -> None:
        async with asyncio.timeout(10):
            while len(publisher.published) < count:
                await asyncio.sleep(0.02)

    stop = asyncio.Event()
    running = asyncio.create_task(relay().run(stop))
    await _append(pool, uuid7(), 5)
    await published(5)
    watch.lose.set()  # nothing consumed: all five again …
    await published(10)
    stop.set()
    await asyncio.wait_for(running, 10)
    stop = asyncio.Event()  # … and, by a relay started afresh, once more when settled
    running = asyncio.create_task(relay().run(stop))
    try:
        await published(15)
        await asyncio.sleep(1.5)  # and no more after that
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    first = publisher.published[:5]
    assert publisher.published == first * 3
