"""The test stack: real PostgreSQL and a real Kafka-protocol broker, started once per run.

Where a Docker engine answers, testcontainers runs PostgreSQL and Apache Kafka (KRaft);
otherwise the embedded ones from the wheels run. ONEWINDOW_TEST_DATABASE_URL /
ONEWINDOW_TEST_KAFKA_BOOTSTRAP_SERVERS point the suite at external servers instead
(a superuser DSN; each test gets schemas of its own).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from eventlog.migrate import migrate_async
from eventlog.pooling import pooling
from eventlog.signing import generate_key_pair
from onewindow.embedded.broker import EmbeddedBroker
from onewindow.embedded.ports import free_port
from onewindow.embedded.postgres import EmbeddedPostgres
from onewindow.stack import create_database


@dataclass(frozen=True)
class Stack:
    database_url: str  # superuser, database onewindow_test
    kafka: str


@dataclass(frozen=True)
class CheckpointKeys:
    private_file: Path
    public_file: Path
    directory: Path  # where the services started by the tests append their checkpoints


@pytest.fixture(scope="session", autouse=True)
def checkpoint_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckpointKeys]:
    """Every service a test starts (in-process or as its own process) signs checkpoints
    with this key into this directory, as production ones must: the settings come from the
    environment."""
    base = tmp_path_factory.mktemp("checkpoints")
    keys = CheckpointKeys(base / "key.pem", generate_key_pair(base / "key.pem"), base / "logs")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ONEWINDOW_CHECKPOINT_KEY_FILE", str(keys.private_file))
        env.delenv("ONEWINDOW_CHECKPOINT_KEY", raising=False)
        env.setenv("ONEWINDOW_CHECKPOINT_DIR", str(keys.directory))
        yield keys


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("stack")
    pg = broker = None
    dsn = os.environ.get("ONEWINDOW_TEST_DATABASE_URL")
    kafka = os.environ.get("ONEWINDOW_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if not (dsn and kafka) and _docker_answers():
        yield from _containers(dsn, kafka)
        return
    try:
        if not dsn:
            pg = EmbeddedPostgres(base / "pg", free_port())
            dsn = pg.start()
        if not kafka:
            broker = EmbeddedBroker(base / "broker", free_port())
            kafka = broker.start()
        yield Stack(_create_database(dsn, "onewindow_test"), kafka)
    finally:
        if broker:
            broker.stop()
        if pg:
            pg.stop()


def _docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _containers(dsn: str | None, kafka: str | None) -> Iterator[Stack]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    with ExitStack() as running:
        if not dsn:
            pg = running.enter_context(PostgresContainer("postgres:17", driver=None))
            dsn = pg.get_connection_url()
        if not kafka:
            kafka = running.enter_context(
                KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft()
            ).get_bootstrap_server()
        yield Stack(_create_database(dsn, "onewindow_test"), kafka)


def _create_database(dsn: str, name: str) -> str:
    # A thread of its own, so the event loop pytest-asyncio keeps is left alone.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(create_database, dsn, name).result()


@pytest.fixture
def schema_name() -> str:
    return "t_" + uuid.uuid4().hex[:12]


@pytest.fixture
async def pool(stack: Stack, schema_name: str) -> AsyncIterator[asyncpg.Pool]:
    """A migrated, empty event-log schema of this test's own."""
    await migrate_async(stack.database_url, schema_name)
    pool = await asyncpg.create_pool(
        stack.database_url,
        **pooling(min_size=1, max_size=20, server_settings={"search_path": schema_name}),
    )
    yield pool
    await pool.close()


ROOT = Path(__file__).resolve().parent.parent
