"""Services run in the test's own event loop on the session's PostgreSQL and broker, each
in a schema of its own, and an HTTP client talking to one through ASGI (no port)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from runtime.service import Service
from services.intake.bootstrap import IntakeSettings, build

Keyed = Callable[[str], Awaitable[dict[str, str]]]  # headers with a new client's key, by kind


@asynccontextmanager
async def running(service: Service) -> AsyncIterator[Service]:
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def intake_on(stack: Any, **settings: Any) -> Service:
    """intake in a fresh schema, with `settings` over the stack's connections."""
    connections = {
        "database_url": stack.database_url,
        "kafka_bootstrap_servers": stack.kafka,
        "startup_timeout_seconds": 60,
    }
    return build(IntakeSettings(**connections | settings), schema="t_intake_" + uuid4().hex[:8])


@asynccontextmanager
async def client_of(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


async def start_at_the_end(kafka: str, services: list[Service]) -> None:
    """Commit each consumer group's offsets at the topics' ends: the events other tests left
    on the shared topics are not handled again."""
    for service in services:
        for consumer in service.consumers:
            group = AIOKafkaConsumer(
                bootstrap_servers=kafka,
                group_id=f"{service.name}.{consumer.name}",
                enable_auto_commit=False,
            )
            await group.start()
            try:
                partitions = [
                    TopicPartition(topic, p)
                    for topic in consumer.topics
                    for p in group.partitions_for_topic(topic) or ()
                ]
                if partitions:
                    group.assign(partitions)
                    await group.commit(dict(await group.end_offsets(partitions)))
            finally:
                await group.stop()
