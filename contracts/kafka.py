"""The envelope on Kafka: key = application_id, value = payload JSON, metadata in headers.

This mapping is the contract for consumers not written in Python (docs/legacy-integration.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import ValidationError

from contracts import registry
from contracts.envelope import Envelope

HEADERS = (
    "event_id",
    "event_type",
    "schema_version",
    "occurred_at",
    "application_id",
    "correlation_id",
    "causation_id",
    "traceparent",
    "producer",
)

KafkaHeaders = list[tuple[str, bytes]]

# A dead letter (on contracts.topics.DEAD_LETTER) is the record a consumer could not take:
# its key, value and headers unchanged, and these headers added (runtime/consumer.py).
DEAD_LETTER_HEADERS = {
    "dead_letter_reason": "Why the consumer could not take the record, e.g. which field is wrong "
    "or which sub-task the application does not have.",
    "dead_letter_source": "Where the record was: `<topic>/<partition>/<offset>`.",
    "dead_letter_consumer": "The consumer group that could not take it, `<service>.<consumer>`.",
    "dead_letter_attempts": "How many times the consumer tried the record before giving up.",
}


def dead_letter_headers(
    headers: Sequence[tuple[str, bytes]], reason: str, source: str, consumer: str, attempts: int
) -> KafkaHeaders:
    """A dead letter's headers: the record's own, then why, where from, who, how often."""
    said = {
        "dead_letter_reason": reason,
        "dead_letter_source": source,
        "dead_letter_consumer": consumer,
        "dead_letter_attempts": str(attempts),
    }
    return [*headers, *((name, said[name].encode()) for name in DEAD_LETTER_HEADERS)]


class MalformedMessage(ValueError):
    """A record that is not a valid OneWindow event; the reason says what is wrong."""


def to_kafka(envelope: Envelope) -> tuple[bytes, bytes, KafkaHeaders]:
    meta = envelope.model_dump(mode="json", exclude={"payload"})
    headers = [(name, str(meta[name]).encode()) for name in HEADERS if meta[name] is not None]
    value = json.dumps(envelope.payload, ensure_ascii=False, separators=(",", ":")).encode()
    return str(envelope.application_id).encode(), value, headers


def from_kafka(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
) -> Envelope:
    """Decode and validate a record; raises MalformedMessage naming the problem."""
    try:
        meta: dict[str, object] = {name: raw.decode() for name, raw in headers if name in HEADERS}
        payload = json.loads(value or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedMessage(f"value is not UTF-8 JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedMessage("value must be a JSON object")
    missing = [h for h in ("event_id", "event_type", "application_id", "producer") if h not in meta]
    if missing:
        raise MalformedMessage(f"missing headers: {', '.join(missing)}")
    meta.setdefault("schema_version", "1")
    meta.setdefault("correlation_id", meta["application_id"])
    try:
        envelope = Envelope.model_validate({**meta, "payload": payload})
        registry.decode(envelope)
    except ValidationError as exc:
        raise MalformedMessage(_describe(exc)) from None
    except registry.UnknownEventType as exc:
        raise MalformedMessage(str(exc)) from None
    if key is not None and key.decode(errors="replace") != str(envelope.application_id):
        raise MalformedMessage("key differs from the application_id header")
    return envelope


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()
    )
