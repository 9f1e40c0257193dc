"""`onewindow bench eventlog`: appends/s (single and batched), relayed events/s and events/s
signed into checkpoints, measured on a fresh schema of the embedded stack (or the external
servers configured)."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted
from eventlog.checkpoint_file import CheckpointFile
from eventlog.checkpointer import Checkpointer
from eventlog.kafka_publisher import KafkaEventPublisher
from eventlog.migrate import migrate_async
from eventlog.relay import Relay
from eventlog.store import EventStore, StreamAppend


@dataclass(frozen=True)
class EventlogFigures:
    single_appends_per_s: float
    batched_appends_per_s: float
    relayed_per_s: float
    checkpointed_per_s: float
    single_events: int
    batched_events: int
    batch_size: int
    writers: int


def _event(application_id: uuid.UUID, n: int) -> Envelope:
    payload = SubtaskCompleted(
        subtask="amr-licence",
        department="amr",
        filing_key=f"{application_id}:amr-licence:1",
        legacy_receipt=f"AMR{n:08d}",
        outputs={"licence_number": f"{n:015d}", "credit_code": "91330106MA2XXXXX0X"},
    )
    return Envelope.new(payload, application_id=application_id, producer="bench")


async def bench_eventlog(
    database_url: str, kafka: str, *, single: int = 4000, batched: int = 100_000,
    batch_size: int = 500, writers: int = 8,
) -> EventlogFigures:  # fmt: skip
    schema = "bench_" + uuid.uuid4().hex[:8]
    await migrate_async(database_url, schema)
    pool = await asyncpg.create_pool(
        database_url, min_size=writers, max_size=writers, server_settings={"search_path": schema}
    )
    store = EventStore(pool)
    try:
        singles = [_event(uuid7(), n) for n in range(single)]

        async def write_singles(w: int) -> None:
            for envelope in singles[w::writers]:
                await store.append(f"application-{envelope.application_id}", 0, [envelope])

        started = time.perf_counter()
        await asyncio.gather(*(write_singles(w) for w in range(writers)))
        single_rate = single / (time.perf_counter() - started)

        batches = []
        for b in range(batched // batch_size):
            apps = [uuid7() for _ in range(batch_size // 5)]
            batches.append(
                [
                    StreamAppend(f"application-{a}", 0, [_event(a, b * 5 + i) for i in range(5)])
                    for a in apps
                ]
            )

        async def write_batches(w: int) -> None:
            for batch in batches[w::writers]:
                await store.append_batch(batch)

        started = time.perf_counter()
        await asyncio.gather(*(write_batches(w) for w in range(writers)))
        batched_rate = len(batches) * batch_size / (time.perf_counter() - started)

        producer = AIOKafkaProducer(
            bootstrap_servers=kafka, acks="all", linger_ms=5, max_batch_size=256 * 1024
        )
        await producer.start()
        try:
            relay = Relay(pool, KafkaEventPublisher(producer))
            backlog = await relay.pending()
            started = time.perf_counter()
            await relay.publish_pending()
            relay_rate = backlog / (time.perf_counter() - started)
        finally:
            await producer.stop()
        checkpoint_rate = await _checkpoint(pool, schema, backlog)
    finally:
        await pool.close()
        conn = await asyncpg.connect(database_url)
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
    return EventlogFigures(
        round(single_rate), round(batched_rate), round(relay_rate), round(checkpoint_rate),
        single, len(batches) * batch_size, batch_size, writers,
    )  # fmt: skip


async def _checkpoint(pool: asyncpg.Pool, schema: str, events: int) -> float:
    """The first checkpoints of the whole log: Merkle tree, signatures, file with fsync."""
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-checkpoints-") as directory:
        signer = Checkpointer(
            pool, schema, Ed25519PrivateKey.generate(), CheckpointFile(Path(directory), schema)
        )
        started = time.perf_counter()
        await signer.checkpoint()
        return events / (time.perf_counter() - started)


def as_table(figures: EventlogFigures) -> str:
    rows = [
        ("single appends (1 event/transaction)", figures.single_appends_per_s),
        (
            f"batched appends ({figures.batch_size} events/transaction)",
            figures.batched_appends_per_s,
        ),
        ("relayed to Kafka (acks=all)", figures.relayed_per_s),
        ("signed into checkpoints", figures.checkpointed_per_s),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {rate:>9,.0f} events/s" for name, rate in rows)


def as_dict(figures: EventlogFigures) -> dict[str, float]:
    return asdict(figures)
