"""Kafka for one service: its topics (made at start and again whenever they vanish), the
producer the relay and the dead letters share, and one consumer loop per subscription
(consumer group `<service>.<consumer>`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Sequence

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from eventlog.broker_watch import BrokerWatch
from eventlog.retry import Backoff
from runtime.consumer import Consumer, ConsumerLoop, DeadLetters
from runtime.settings import ServiceSettings
from runtime.startup import with_backoff
from runtime.supervision import Run

log = structlog.get_logger()


async def ensure_topics(settings: ServiceSettings, topics: Collection[str]) -> None:
    await with_backoff(
        f"Kafka at {settings.kafka_bootstrap_servers}",
        lambda: create_missing(settings, topics),
        settings.startup_timeout_seconds,
    )


async def create_missing(settings: ServiceSettings, topics: Collection[str]) -> list[str]:
    """Create those of `topics` the broker lacks (where topic creation is on); their names."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        if not settings.kafka_create_topics:
            return []
        missing = sorted(set(topics) - set(await admin.list_topics()))
        wanted = [
            NewTopic(t, settings.kafka_topic_partitions, settings.kafka_topic_replication)
            for t in missing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another service was first
                await admin.create_topics(wanted)
        return missing
    finally:
        await admin.close()


def keep_topics(settings: ServiceSettings, topics: Collection[str]) -> Run:
    """A part that makes the service's topics again when they vanish (a broker that lost
    its data), before producers or consumers make them with other settings."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            made = await asyncio.wait_for(
                create_missing(settings, topics), settings.kafka_request_timeout_seconds
            )
            if made:
                log.warning("topics were missing; made them again", topics=made)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.kafka_topic_check_seconds)

    return run


def producer_for(settings: ServiceSettings, service: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=5,
        max_batch_size=256 * 1024,
        client_id=f"onewindow-{service}",
        request_timeout_ms=int(settings.kafka_request_timeout_seconds * 1000),
    )


def broker_watch(settings: ServiceSettings) -> BrokerWatch:
    return BrokerWatch(
        settings.kafka_bootstrap_servers,
        settings.kafka_watched_groups,
        timeout_seconds=settings.kafka_request_timeout_seconds,
    )


def consumer_loops(
    settings: ServiceSettings,
    service: str,
    consumers: Sequence[Consumer],
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
) -> list[ConsumerLoop]:
    backoff = Backoff(settings.retry_first_seconds, settings.retry_max_seconds)
    loops = []
    for consumer in consumers:
        group = f"{service}.{consumer.name}"
        loops.append(
            ConsumerLoop(
                group,
                consumer,
                consumer.inbox(pool, group),
                DeadLetters(pool, producer, group),
                bootstrap_servers=settings.kafka_bootstrap_servers,
                batch_size=settings.consumer_batch_size,
                max_attempts=settings.consumer_max_attempts,
                backoff=backoff,
                session_timeout_seconds=settings.kafka_session_timeout_seconds,
            )
        )
    return loops
