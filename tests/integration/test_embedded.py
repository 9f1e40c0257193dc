"""The embedded PostgreSQL server and Kafka broker used by `onewindow up` (no Docker needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from onewindow.embedded.broker import EmbeddedBroker
from onewindow.embedded.ports import free_port
from onewindow.embedded.postgres import EmbeddedPostgres


def test_postgres_starts_and_persists_across_restart(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "pg", free_port())

    async def create() -> None:
        conn = await asyncpg.connect(pg.dsn)
        try:
            assert await conn.fetchval("select 1") == 1
            await conn.execute("create table probe (id int primary key, note text)")
            await conn.execute("insert into probe values (1, 'kept')")
        finally:
            await conn.close()

    async def read() -> str:
        conn = await asyncpg.connect(pg.dsn)
        try:
            return str(await conn.fetchval("select note from probe where id = 1"))
        finally:
            await conn.close()

    try:
        assert pg.start() == pg.dsn
        assert pg.start() == pg.dsn  # second start reuses the running server
        asyncio.run(create())
        pg.stop()
        assert pg.running_pid() is None
        pg.stop()  # no-op when not running

        pg.start()
        assert asyncio.run(read()) == "kept"
    finally:
        pg.stop()
    assert pg.running_pid() is None


def test_broker_roundtrip(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path / "broker", free_port())

    async def roundtrip(bootstrap: str) -> list[bytes]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic("probe", num_partitions=3, replication_factor=1)])
        finally:
            await admin.close()

        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
        await producer.start()
        try:
            for i in range(10):
                await producer.send_and_wait("probe", f"m{i}".encode(), key=str(i).encode())
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer(
            "probe",
            bootstrap_servers=bootstrap,
            group_id="probe-group",
            auto_offset_reset="earliest",
        )
        await consumer.start()
        got: list[bytes] = []
        try:
            async with asyncio.timeout(30):
                while len(got) < 10:
                    batches = await consumer.getmany(timeout_ms=1000)
                    got += [rec.value for recs in batches.values() for rec in recs if rec.value]
        finally:
            await consumer.stop()
        return got

    try:
        bootstrap = broker.start()
        assert bootstrap == broker.bootstrap_servers
        pid = broker.running_pid()
        assert pid is not None
        assert broker.start() == bootstrap and broker.running_pid() == pid  # reused
        got = asyncio.run(roundtrip(bootstrap))
        assert sorted(got) == sorted(f"m{i}".encode() for i in range(10))
    finally:
        broker.stop()
    assert broker.running_pid() is None
    assert not broker.pid_file.exists()
