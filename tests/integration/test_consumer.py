"""Consumers through the inbox: crash between DB commit and offset commit; dead letters."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from uuid6 import uuid7

from contracts.kafka import to_kafka
from tests.conftest import ROOT
from tests.helpers import dead_letter_reasons, event


async def _produce(kafka: str, topic: str, records: list[tuple[bytes, bytes, list]]) -> None:  # type: ignore[type-arg]
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.2)


def _start(stack, schema: str, topic: str, group: str, marker: Path) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.inbox_consumer",
         stack.database_url, schema, stack.kafka, topic, group],
        cwd=ROOT, env={"CRASH_MARKER": str(marker), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


async def test_killed_after_db_commit_redelivers_and_changes_nothing(
    stack,
    pool: asyncpg.Pool,
    schema_name: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    topic, group = f"test.crash.{schema_name}", f"crash-{schema_name}"
    sent = event(uuid7())
    await _produce(stack.kafka, topic, [to_kafka(sent)])

    async def handled() -> int:
        async with pool.acquire() as conn:
            return await conn.fetchval("SELECT count(*) FROM events") or 0

    first = _start(stack, schema_name, topic, group, tmp_path / "crashed")
    out, _ = await asyncio.to_thread(first.communicate, timeout=90)
    assert first.returncode == 137, out
    assert await handled() == 1

    second = _start(stack, schema_name, topic, group, tmp_path / "crashed")
    try:
        async with asyncio.timeout(60):
            while True:
                line = await asyncio.to_thread(second.stdout.readline)  # type: ignore[union-attr]
                assert line, "consumer ended early"
                if "duplicates ignored" in line:
                    assert '"count": 1' in line
                    break
        assert await handled() == 1
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM inbox") == 1
    finally:
        second.terminate()
        second.wait(10)


async def test_malformed_records_go_to_dead_letters_and_do_not_block(
    stack,
    pool: asyncpg.Pool,
    schema_name: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    topic, group = f"test.dlq.{schema_name}", f"dlq-{schema_name}"
    (tmp_path / "crashed").touch()  # no crash in this test
    good = event(uuid7())
    key, value, headers = to_kafka(good)
    bad_id = [(k, b"not-a-uuid" if k == "event_id" else v) for k, v in headers]
    await _produce(
        stack.kafka,
        topic,
        [(key, b"{not json", headers), (key, value, bad_id), (key, value, headers)],
    )
    consumer = _start(stack, schema_name, topic, group, tmp_path / "crashed")
    try:

        async def good_one_handled() -> bool:
            async with pool.acquire() as conn:
                return await conn.fetchval("SELECT count(*) FROM events") == 1

        await _wait_for(good_one_handled)
        reasons = await dead_letter_reasons(stack.kafka, group, 2)
        assert any("not UTF-8 JSON" in r for r in reasons), reasons
        assert any("event_id" in r for r in reasons), reasons
    finally:
        consumer.terminate()
        consumer.wait(10)
