"""The envelope every event travels in: in the event log, and on Kafka
(payload as JSON, metadata in headers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from opentelemetry import trace
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from uuid6 import uuid7


class Event(BaseModel):
    """Base of every event payload. Subclasses name a fact in the past tense."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


# The event an envelope's payload decodes to, kept beside that payload in the envelope's
# __dict__ (pydantic's __eq__ and dumps ignore it); a copy with another payload decodes anew.
# An envelope is frozen and nothing changes a payload in place.
DECODED = "_decoded"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(description="UUIDv7 of this event; unique across every service.")
    event_type: str = Field(min_length=1, examples=["ApplicationSubmitted"])
    schema_version: int = Field(ge=1, examples=[1])
    occurred_at: AwareDatetime = Field(description="When the fact happened, UTC.")
    application_id: UUID = Field(description="The application this event belongs to; Kafka key.")
    correlation_id: UUID = Field(description="Same for every event caused by one submission.")
    causation_id: UUID | None = Field(
        default=None, description="event_id of the event that caused this one."
    )
    traceparent: str | None = Field(default=None, description="W3C trace context.")
    producer: str = Field(min_length=1, description="The service that recorded the event.")
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def new(
        cls,
        event: Event,
        *,
        application_id: UUID,
        producer: str,
        correlation_id: UUID | None = None,
        causation: Envelope | None = None,
        traceparent: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """Wrap a fresh event; `causation` carries the correlation on from the cause. The
        traceparent is the one given, else the current span's (the span that handled the
        cause), else the cause's. `occurred_at` is the recording service's time, by the
        clock it was given (runtime/clock.py: a test's may be a file); the system's if none."""
        envelope = cls(
            event_id=uuid7(),
            event_type=event.event_type,
            schema_version=event.schema_version,
            occurred_at=occurred_at or datetime.now(UTC),
            application_id=application_id,
            correlation_id=correlation_id
            or (causation.correlation_id if causation else application_id),
            causation_id=causation.event_id if causation else None,
            traceparent=traceparent
            or current_traceparent()
            or (causation.traceparent if causation else None),
            producer=producer,
            payload=event.model_dump(mode="json"),
        )
        envelope.__dict__[DECODED] = (envelope.payload, event)
        return envelope


def current_traceparent() -> str | None:
    """The W3C traceparent of the current OpenTelemetry span, if there is a valid one."""
    return traceparent_of(trace.get_current_span().get_span_context())


def traceparent_of(span: trace.SpanContext) -> str | None:
    if not span.is_valid:
        return None
    return f"00-{span.trace_id:032x}-{span.span_id:016x}-{int(span.trace_flags):02x}"
