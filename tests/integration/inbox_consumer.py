"""A consumer process for the crash test: the real runtime.consumer and inbox.

With CRASH_MARKER naming a file that does not exist yet, it creates the file and dies
(os._exit, as SIGKILL would) right after the inbox transaction committed and before the
Kafka offset is committed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted
from eventlog.inbox import Inbox, UnitOfWork
from eventlog.retry import Backoff
from runtime.consumer import Consumer, ConsumerLoop, DeadLetters
from runtime.logs import configure_logging


class CrashAfterCommit(Inbox):
    async def process(self, envelopes, handler):  # type: ignore[no-untyped-def]
        result = await super().process(envelopes, handler)
        marker = Path(os.environ["CRASH_MARKER"])
        if not marker.exists():
            marker.touch()
            print("committed; dying before the offset commit", flush=True)
            os._exit(137)
        return result


async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
    reply = Envelope.new(
        SubtaskCompleted(subtask="s", department="amr", filing_key=str(envelope.event_id)),
        application_id=envelope.application_id,
        producer="test",
        causation=envelope,
    )
    uow.append(f"handled-{envelope.event_id}", 0, [reply])


async def main() -> None:
    configure_logging("crash-test", "DEBUG")
    dsn, schema, kafka, topic, group = sys.argv[1:6]
    pool = await asyncpg.create_pool(dsn, server_settings={"search_path": schema})
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    loop = ConsumerLoop(
        group,
        Consumer("crash", [topic], handle),
        CrashAfterCommit(pool, group),
        DeadLetters(pool, producer, group),
        bootstrap_servers=kafka,
        batch_size=10,
        max_attempts=3,
        backoff=Backoff(),
    )
    print("consuming", flush=True)
    await loop.run(asyncio.Event())


asyncio.run(main())
