"""JSON Schema (draft 2020-12) of every published event, of the envelope, of the Kafka headers
and of every command clients send to intake.

Generated with `mode="serialization"`: a consumer reads what producers serialise
(`Event.model_dump(mode="json")` is the record value). The published models have no serialisers
of their own, so the validation schema is the same today; tests/unit/test_published_contracts.py
checks that, so one file describes both what OneWindow writes and what it accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import contracts.events  # noqa: F401  (registers every published event)
from contracts import registry
from contracts.commands import Command
from contracts.envelope import Envelope, Event
from contracts.kafka import HEADERS
from contracts.topics import topic_for

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://onewindow.example.cn/contracts/schemas/"
ENVELOPE_FILE = "envelope.json"
HEADERS_FILE = "kafka-headers.json"
COMMANDS_DIR = "commands"
SCHEMAS = "../schemas/"  # where an AsyncAPI document (contracts/asyncapi/) finds the schemas
KAFKA_BINDING = "0.5.0"
PARAMETER = "{department}"
# from_kafka fills these in when a record leaves them out (contracts/kafka.py).
DEFAULTED_HEADERS = {"schema_version": "1", "correlation_id": "the application_id"}
_NIL = UUID(int=0)


@dataclass(frozen=True)
class PublishedEvent:
    """A registered event that travels on Kafka; `topic` may hold the `{department}` parameter."""

    event_type: str
    schema_version: int
    model: type[Event]
    topic: str

    @property
    def file(self) -> str:
        return f"{self.event_type}.v{self.schema_version}.json"


def published_events() -> list[PublishedEvent]:
    """Every registered event whose topic is not None, by type and version."""
    found = []
    for (event_type, version), model in sorted(registry.registered().items()):
        topic = topic_of(event_type, version)
        if topic is not None:
            found.append(PublishedEvent(event_type, version, model, topic))
    return found


def topic_of(event_type: str, schema_version: int) -> str | None:
    """contracts.topics.topic_for, with the department left as the parameter `{department}`."""
    probe = Envelope(
        event_id=_NIL,
        event_type=event_type,
        schema_version=schema_version,
        occurred_at=datetime(2000, 1, 1, tzinfo=UTC),
        application_id=_NIL,
        correlation_id=_NIL,
        producer="contracts",
        payload={"department": PARAMETER},
    )
    return topic_for(probe)


def topic_pattern(topic: str) -> re.Pattern[str]:
    """A regex matching the concrete topics of a (possibly parameterised) topic."""
    literal, _, rest = topic.partition(PARAMETER)
    return re.compile(re.escape(literal) + ("[a-z][a-z0-9-]*" if _ else "") + re.escape(rest))


def event_schema(event: PublishedEvent, example: Event | None) -> dict[str, Any]:
    schema = event.model.model_json_schema(mode="serialization")
    doc = (schema.get("description") or "").strip()
    where = (
        f"The value of a Kafka record on `{event.topic}` whose `event_type` header is "
        f"`{event.event_type}` and `schema_version` header is `{event.schema_version}`; "
        f"the other headers: {HEADERS_FILE}."
    )
    schema.update(
        {
            "$schema": DIALECT,
            "$id": BASE_ID + event.file,
            "title": event.event_type,
            "description": f"{doc}\n\n{where}" if doc else where,
        }
    )
    if example is not None:
        schema["examples"] = [example.model_dump(mode="json")]
    return schema


def envelope_schema(example: Envelope) -> dict[str, Any]:
    schema = Envelope.model_json_schema(mode="serialization")
    schema.update(
        {
            "$schema": DIALECT,
            "$id": BASE_ID + ENVELOPE_FILE,
            "title": "Envelope",
            "description": (
                "The envelope every event travels in, as kept in a service's event log. On Kafka "
                f"`payload` is the record value and every other field a header ({HEADERS_FILE})."
            ),
            "examples": [example.model_dump(mode="json")],
        }
    )
    return schema


def headers_schema(example: list[tuple[str, bytes]]) -> dict[str, Any]:
    """The envelope's fields as Kafka headers: UTF-8 text; a null field is left out."""
    fields = Envelope.model_json_schema(mode="serialization")
    required = set(fields["required"]) - DEFAULTED_HEADERS.keys()
    return {
        "$schema": DIALECT,
        "$id": BASE_ID + HEADERS_FILE,
        "title": "Kafka record headers",
        "description": (
            "The headers of every OneWindow record: the envelope's fields, each value UTF-8 text. "
            "A field whose value is null is left out, never sent empty. The record key is the "
            "application_id; the value is the payload JSON. Other headers are ignored."
        ),
        "type": "object",
        "properties": {
            name: _as_header(fields["properties"][name], DEFAULTED_HEADERS.get(name))
            for name in HEADERS
        },
        "required": [name for name in HEADERS if name in required],
        "additionalProperties": {"type": "string"},
        "examples": [{name: raw.decode() for name, raw in example}],
    }


def _as_header(field: dict[str, Any], default: str | None) -> dict[str, Any]:
    kind = next((s for s in field.get("anyOf", [field]) if s.get("type") != "null"), field)
    header: dict[str, Any] = {"type": "string", "title": field["title"]}
    notes = [field.get("description", "")]
    if kind.get("type") == "integer":
        header["pattern"] = "^[0-9]+$"
        notes.append("A decimal integer.")
    for keyword in ("format", "minLength", "pattern"):
        if keyword in kind:
            header[keyword] = kind[keyword]
    if field.get("default", "") is None:
        notes.append("Left out when null.")
    if default is not None:
        notes.append(f"Left out, it means {default}.")
    if any(notes):
        header["description"] = " ".join(n for n in notes if n)
    if "examples" in field:
        header["examples"] = [str(e) for e in field["examples"]]
    return header


def command_file(command: type[Command]) -> str:
    return f"{COMMANDS_DIR}/{command.__name__}.json"


def command_schema(command: Command) -> dict[str, Any]:
    """A command's request body; validation mode: what intake accepts."""
    kind = type(command)
    schema = kind.model_json_schema(mode="validation")
    where = (
        f"The JSON body of `{kind.route}` on intake (OpenAPI at /docs), sent with the "
        "client's API key as `Authorization: Bearer <key>`."
    )
    schema.update(
        {
            "$schema": DIALECT,
            "$id": BASE_ID + command_file(kind),
            "title": kind.__name__,
            "description": f"{(kind.__doc__ or '').strip()}\n\n{where}",
            "examples": [command.model_dump(mode="json", exclude_defaults=True)],
        }
    )
    return schema
