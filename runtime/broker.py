"""Kafka for one service: its topics, the producer the relay and dead letters share, and the
broker its consumers subscribe on (consumer group `<service>.<consumer>`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from eventlog.inbox import Inbox
from runtime.consumer import Consumer, DeadLetters, subscribe
from runtime.metrics import broker_metrics
from runtime.settings import ServiceSettings
from runtime.startup import with_backoff


async def ensure_topics(settings: ServiceSettings, topics: Collection[str]) -> None:
    await with_backoff(
        f"Kafka at {settings.kafka_bootstrap_servers}",
        lambda: _create_missing(settings, topics),
        settings.startup_timeout_seconds,
    )


async def _create_missing(settings: ServiceSettings, topics: Collection[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        if not settings.kafka_create_topics:
            return
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(t, settings.kafka_topic_partitions, settings.kafka_topic_replication)
            for t in sorted(set(topics) - existing)
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass  # another service created it first
    finally:
        await admin.close()


def producer_for(settings: ServiceSettings, service: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=5,
        max_batch_size=256 * 1024,
        client_id=f"onewindow-{service}",
    )


def broker_for(settings: ServiceSettings, service: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        graceful_timeout=30.0,
        logger=None,
        middlewares=[
            KafkaTelemetryMiddleware(),  # a span per batch; per event: consumer.py
            broker_metrics(service),
        ],
    )


def subscribe_all(
    broker: KafkaBroker,
    service: str,
    consumers: Sequence[Consumer],
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
    batch_size: int,
) -> None:
    for consumer in consumers:
        group = f"{service}.{consumer.name}"
        subscribe(
            broker, group, consumer, Inbox(pool, group), DeadLetters(producer, group), batch_size
        )
