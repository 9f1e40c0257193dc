"""A consumer process for the crash test: the real runtime.consumer and inbox.

With CRASH_MARKER naming a file that does not exist yet, it creates the file and dies
(os._exit, as SIGKILL would) right after the inbox transaction committed and before
FastStream commits the Kafka offset.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted
from eventlog.inbox import Inbox, UnitOfWork
from runtime.consumer import Consumer, DeadLetters, subscribe
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
    await uow.append(f"handled-{envelope.event_id}", 0, [reply])


async def main() -> None:
    configure_logging("crash-test")
    dsn, schema, kafka, topic, group = sys.argv[1:6]
    pool = await asyncpg.create_pool(dsn, server_settings={"search_path": schema})
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    broker = KafkaBroker(kafka, logger=None)
    subscribe(
        broker, group, Consumer("crash", [topic], handle), CrashAfterCommit(pool, group),
        DeadLetters(producer, group), batch_size=10,
    )  # fmt: skip
    await broker.start()
    print("consuming", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
