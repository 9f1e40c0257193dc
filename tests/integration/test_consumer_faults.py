"""A consumer through faults, on the real PostgreSQL and broker: a poison event is a dead
letter after its attempts and comes back when replayed; a database that is away never makes
one; an offset beyond the log end is read again from the start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from typer.testing import CliRunner

from contracts.envelope import Envelope
from contracts.kafka import to_kafka
from eventlog import dead_letters
from eventlog.inbox import Inbox, UnitOfWork
from eventlog.retry import Backoff
from onewindow.cli import app
from runtime.consumer import Consumer, ConsumerLoop, DeadLetters
from tests.conftest import Stack
from tests.helpers import event

MAX_ATTEMPTS = 3


async def produce(kafka: str, topic: str, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        for envelope in envelopes:
            key, value, headers = to_kafka(envelope)
            await producer.send_and_wait(topic, value, key=key, headers=headers, partition=0)
    finally:
        await producer.stop()


async def handled(pool: asyncpg.Pool) -> list[int]:
    """The `n` of every event the handler recorded, in the order it recorded them."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM events ORDER BY position")
    import json

    return [json.loads(r["payload"])["outputs"]["n"] for r in rows]


def recording(fails: Callable[[Envelope], Exception | None]) -> Callable[..., object]:
    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        problem = fails(envelope)
        if problem is not None:
            raise problem
        uow.append(f"handled-{envelope.event_id}", 0, [envelope])

    return handle


@asynccontextmanager
async def consuming(
    stack: Stack, pool: asyncpg.Pool, topic: str, group: str, handle: Callable[..., object]
) -> AsyncIterator[ConsumerLoop]:
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka)
    await producer.start()
    loop = ConsumerLoop(
        group,
        Consumer("faults", [topic], handle),  # type: ignore[arg-type]
        Inbox(pool, group),
        DeadLetters(pool, producer, group),
        bootstrap_servers=stack.kafka,
        batch_size=50,
        max_attempts=MAX_ATTEMPTS,
        backoff=Backoff(first=0.05, cap=0.2),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    try:
        yield loop
    finally:
        stop.set()
        await task
        await producer.stop()


async def until(holds: Callable[[], object], timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not await holds():  # type: ignore[misc]
            await asyncio.sleep(0.1)


async def test_a_poison_event_is_dead_lettered_after_its_attempts_then_replayed(
    stack: Stack, pool: asyncpg.Pool, schema_name: str
) -> None:
    topic, group = f"test.poison.{schema_name}", f"poison-{schema_name}"
    application = uuid4()
    sent = [event(application, n) for n in range(3)]
    broken = {"on": True}

    def fails(envelope: Envelope) -> Exception | None:
        if broken["on"] and envelope.payload["outputs"]["n"] == 1:
            return KeyError("a handler bug")
        return None

    await produce(stack.kafka, topic, sent)
    async with consuming(stack, pool, topic, group, recording(fails)):

        async def others_handled() -> bool:
            return sorted(await handled(pool)) == [0, 2]

        await until(others_handled)  # the partition moved on past the poison event
        letters = await dead_letters.listed(pool)
        assert [(x.event_id, x.attempts, x.consumer) for x in letters] == [
            (sent[1].event_id, MAX_ATTEMPTS, group)
        ]
        assert "KeyError" in letters[0].reason and "3 times" in letters[0].reason

        broken["on"] = False  # the fix is deployed
        replay = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            ["dead-letters", "replay", schema_name, str(letters[0].id),
             "--database-url", stack.database_url, "--kafka", stack.kafka],
        )  # fmt: skip
        assert replay.exit_code == 0, replay.output

        async def all_handled() -> bool:
            return sorted(await handled(pool)) == [0, 1, 2]

        await until(all_handled)
    assert (await dead_letters.listed(pool)) == []  # replayed ones are not listed
    assert len(await dead_letters.listed(pool, replayed=True)) == 1


async def test_a_database_away_is_waited_out_and_never_dead_letters(
    stack: Stack, pool: asyncpg.Pool, schema_name: str
) -> None:
    topic, group = f"test.transient.{schema_name}", f"transient-{schema_name}"
    failures = {"left": MAX_ATTEMPTS * 3}

    def fails(_: Envelope) -> Exception | None:
        if failures["left"] > 0:
            failures["left"] -= 1
            return ConnectionResetError("connection to the database was lost")
        return None

    await produce(stack.kafka, topic, [event(uuid4(), n) for n in range(2)])
    async with consuming(stack, pool, topic, group, recording(fails)):

        async def both_handled() -> bool:
            return sorted(await handled(pool)) == [0, 1]

        await until(both_handled)
    assert failures["left"] == 0
    assert await dead_letters.listed(pool) == []


async def test_an_offset_beyond_the_log_end_is_read_again_from_the_start(
    stack: Stack, pool: asyncpg.Pool, schema_name: str
) -> None:
    topic, group = f"test.past-end.{schema_name}", f"past-end-{schema_name}"
    await produce(stack.kafka, topic, [event(uuid4(), n) for n in range(3)])
    # As after a broker that lost its data: the group's offset points where no record is.
    committer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.kafka, group_id=group, enable_auto_commit=False
    )
    await committer.start()
    try:
        async with asyncio.timeout(30):
            while not committer.assignment():
                await committer.getmany(timeout_ms=200)
        await committer.commit({TopicPartition(topic, 0): 1000})
    finally:
        await committer.stop()

    async with consuming(stack, pool, topic, group, recording(lambda _: None)):

        async def all_handled() -> bool:
            return sorted(await handled(pool)) == [0, 1, 2]

        await until(all_handled, timeout=90)
