"""Publishes recorded events to Kafka with aiokafka: topic by event type, key = application_id."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from contracts.kafka import to_kafka
from contracts.topics import topic_for
from eventlog.store import RecordedEvent


class KafkaEventPublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        # Sends are queued in order and awaited together; aiokafka keeps at most one
        # request in flight per broker, so one application's events keep their order.
        sends = []
        for event in events:
            topic = topic_for(event.envelope)
            if topic is None:
                continue
            key, value, headers = to_kafka(event.envelope)
            sends.append(await self.producer.send(topic, value, key=key, headers=headers))
        await asyncio.gather(*sends)
