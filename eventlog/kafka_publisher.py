"""Publishes recorded events to Kafka with aiokafka: topic by event type, key = application_id."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from contracts.envelope import Envelope, traceparent_of
from contracts.kafka import to_kafka
from contracts.topics import topic_for
from eventlog.published import Placed
from eventlog.spans import recorded
from eventlog.store import RecordedEvent

_W3C = TraceContextTextMapPropagator()


class KafkaEventPublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def publish(self, events: Sequence[RecordedEvent]) -> list[Placed | None]:
        # Sends are queued in order and awaited together; aiokafka keeps at most one
        # request in flight per broker, so one application's events keep their order.
        sends, spans, carried = [], list[Span](), list[bool]()
        traced = recorded()
        try:
            for event in events:
                topic = topic_for(event.envelope)
                carried.append(topic is not None)
                if topic is None:
                    continue
                envelope = event.envelope
                if traced:
                    spans.append(span := _producer_span(topic, envelope))
                    # The record carries the producer span's context: consumers are its children.
                    traceparent = traceparent_of(span.get_span_context()) or envelope.traceparent
                    envelope = envelope.model_copy(update={"traceparent": traceparent})
                key, value, headers = to_kafka(envelope)
                sends.append(await self.producer.send(topic, value, key=key, headers=headers))
            acks = iter(await asyncio.gather(*sends))
            return [_placed(next(acks)) if on_topic else None for on_topic in carried]
        except BaseException as exc:
            for span in spans:
                span.set_status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            for span in spans:
                span.end()


def _placed(ack: RecordMetadata) -> Placed:
    return Placed(ack.topic, ack.partition, ack.offset)


def _producer_span(topic: str, envelope: Envelope) -> Span:
    """A span per event, a child of the span that recorded it (its traceparent): the
    relay publishes long after that span ended, so the context is restored here."""
    parent = (
        _W3C.extract({"traceparent": envelope.traceparent}) if envelope.traceparent else Context()
    )
    return trace.get_tracer("onewindow").start_span(
        f"publish {topic}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.message.id": str(envelope.event_id),
            "onewindow.event_type": envelope.event_type,
            "onewindow.application_id": str(envelope.application_id),
        },
    )
