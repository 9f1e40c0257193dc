"""A broker that loses its data (the bundled one keeps everything in memory) is healed by
the relay itself: it notices, and republishes only what a watched group may not have
consumed; the consumer reads the new log and its inbox drops what it saw before."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.topics import TASK_RESULTS
from eventlog.broker_watch import BrokerWatch
from eventlog.inbox import Inbox, UnitOfWork
from eventlog.kafka_publisher import KafkaEventPublisher
from eventlog.relay import Relay
from eventlog.retry import Backoff
from eventlog.store import EventStore
from onewindow.embedded.broker import EmbeddedBroker
from onewindow.embedded.ports import free_port
from runtime.consumer import Consumer, ConsumerLoop, DeadLetters
from tests.helpers import event


async def until(holds: Callable[[], object], timeout: float = 90.0) -> None:
    async with asyncio.timeout(timeout):
        while not await holds():  # type: ignore[misc]
            await asyncio.sleep(0.2)


async def on_topic(kafka: str, applications: set[object]) -> int:
    """How many records of these applications the topic holds now."""
    reader = AIOKafkaConsumer(
        TASK_RESULTS, bootstrap_servers=kafka, group_id=None, auto_offset_reset="earliest"
    )
    await reader.start()
    wanted, seen = {str(a).encode() for a in applications}, 0
    try:
        while batch := await reader.getmany(timeout_ms=1500):
            for records in batch.values():
                seen += sum(dict(r.headers)["application_id"] in wanted for r in records)
    finally:
        await reader.stop()
    return seen


async def test_the_relay_republishes_what_was_not_consumed_after_the_broker_lost_it(
    stack,
    pool: asyncpg.Pool,
    schema_name: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker", free_port())
    kafka = broker.start()
    group = f"loss-{schema_name}"
    handled: list[int] = []

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        handled.append(envelope.payload["outputs"]["n"])

    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    relay = Relay(
        pool,
        KafkaEventPublisher(producer),
        idle_poll_seconds=0.1,
        watch=BrokerWatch(kafka, {group: [TASK_RESULTS]}, timeout_seconds=5),
        watch_seconds=0.5,
    )

    def consumer() -> ConsumerLoop:
        return ConsumerLoop(
            group, Consumer("loss", [TASK_RESULTS], handle), Inbox(pool, group),
            DeadLetters(pool, producer, group), bootstrap_servers=kafka, batch_size=50,
            max_attempts=3, backoff=Backoff(first=0.1, cap=1.0),
        )  # fmt: skip

    store, first, later = EventStore(pool), uuid4(), uuid4()
    stop_relay, stop_consumer = asyncio.Event(), asyncio.Event()
    relaying = asyncio.create_task(relay.run(stop_relay))
    consuming = asyncio.create_task(consumer().run(stop_consumer))
    try:
        await store.append(str(first), 0, [event(first, n) for n in range(20)])

        async def consumed_and_known() -> bool:
            async with pool.acquire() as conn:
                known = await conn.fetchval("SELECT consumed_position FROM relay_checkpoint")
            return len(handled) == 20 and known == 21

        await until(consumed_and_known)
        await asyncio.sleep(2)  # several looks at a broker that kept its data: nothing again
        assert await on_topic(kafka, {first}) == 20
        stop_consumer.set()  # the group falls behind: the next ten wait on the broker
        await consuming
        await store.append(str(later), 0, [event(later, n) for n in range(20, 30)])
        await until(lambda: _pending(relay, 0))

        broker.stop()  # memory-only: every topic, offset and group is gone
        broker.start()

        async def republished() -> bool:
            return await on_topic(kafka, {first, later}) >= 10

        await until(republished)
        # only what the group had not consumed went out again, not the whole log
        assert await on_topic(kafka, {first, later}) == 10

        stop_consumer = asyncio.Event()
        consuming = asyncio.create_task(consumer().run(stop_consumer))

        async def all_handled() -> bool:
            return len(handled) == 30

        await until(all_handled)
        assert sorted(handled) == list(range(30))  # each exactly once
    finally:
        stop_consumer.set()
        stop_relay.set()
        await asyncio.gather(consuming, relaying, return_exceptions=True)
        await producer.stop()
        broker.stop()


async def _pending(relay: Relay, expected: int) -> bool:
    return await relay.pending() == expected
