"""A Kafka consumer that hands events to a handler through the inbox.

The offset is committed (FastStream acks the batch) only after the inbox transaction
committed; on any other failure the batch is nacked, which seeks back so it comes again.
Records that are not valid events, and events the handler declares Unprocessable, go to
the dead-letter topic with the reason before the batch is acked: they never block a partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord
from faststream import AckPolicy
from faststream.exceptions import NackMessage
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from contracts.envelope import Envelope
from contracts.kafka import MalformedMessage, from_kafka
from contracts.topics import DEAD_LETTER
from eventlog.inbox import Handler, Inbox, UnitOfWork
from runtime.tracing import traced

log = structlog.get_logger()


@dataclass(frozen=True)
class Consumer:
    """One subscription of a service: consumer group `<service>.<name>`."""

    name: str
    topics: Sequence[str]
    handle: Handler


class DeadLetters:
    def __init__(self, producer: AIOKafkaProducer, consumer: str) -> None:
        self.producer, self.consumer = producer, consumer

    async def send(self, record: ConsumerRecord, reason: str) -> None:
        log.warning("dead-lettered", topic=record.topic, offset=record.offset, reason=reason)
        headers = [
            *(record.headers or ()),
            ("dead_letter_reason", reason.encode()),
            ("dead_letter_source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ("dead_letter_consumer", self.consumer.encode()),
        ]
        await self.producer.send_and_wait(
            DEAD_LETTER, record.value, key=record.key, headers=headers
        )


def subscribe(
    broker: KafkaBroker,
    group: str,
    consumer: Consumer,
    inbox: Inbox,
    dead_letters: DeadLetters,
    batch_size: int,
) -> None:
    backoff = _Backoff()

    @broker.subscriber(
        *consumer.topics,
        group_id=group,
        batch=True,
        max_records=batch_size,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def consume(message: KafkaMessage) -> None:
        records: tuple[ConsumerRecord, ...] = message.raw_message
        envelopes: list[Envelope] = []
        by_id: dict[object, ConsumerRecord] = {}
        for record in records:
            try:
                envelope = from_kafka(record.key, record.value, record.headers or ())
            except MalformedMessage as exc:
                await dead_letters.send(record, str(exc))
                continue
            envelopes.append(envelope)
            by_id[envelope.event_id] = record
        try:
            with structlog.contextvars.bound_contextvars(consumer=group):
                _, rejected = await inbox.process(
                    envelopes, traced(group, _logged(consumer.handle))
                )
        except Exception as exc:
            delay = backoff.next()
            log.error(
                "batch failed; it will be redelivered",
                error=f"{type(exc).__name__}: {exc}",
                retry_in_s=delay,
                exc_info=not isinstance(exc, OSError),
            )
            await asyncio.sleep(delay)
            raise NackMessage() from exc
        backoff.reset()
        for envelope, reason in rejected:
            await dead_letters.send(by_id[envelope.event_id], reason)


def by_event_type(handlers: Mapping[str, Handler]) -> Handler:
    """One handler per event type; events of other types pass by untouched."""

    async def dispatch(envelope: Envelope, uow: UnitOfWork) -> None:
        handler = handlers.get(envelope.event_type)
        if handler is not None:
            await handler(envelope, uow)

    return dispatch


def _logged(handle: Handler) -> Handler:
    async def handle_with_context(envelope: Envelope, uow: UnitOfWork) -> None:
        with structlog.contextvars.bound_contextvars(
            application_id=str(envelope.application_id), event_id=str(envelope.event_id)
        ):
            await handle(envelope, uow)

    return handle_with_context


class _Backoff:
    def __init__(self, first: float = 0.2, cap: float = 15.0) -> None:
        self.first, self.cap, self.current = first, cap, 0.0

    def next(self) -> float:
        self.current = min(self.cap, self.current * 2 if self.current else self.first)
        return self.current

    def reset(self) -> None:
        self.current = 0.0
