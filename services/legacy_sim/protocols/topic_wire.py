"""The Kafka wire format of docs/legacy-integration.md, read and written from that page alone.

Nothing here comes from ``contracts/``: a department in another language builds the same from
the same page. Key = application_id, value = the payload JSON, headers = the envelope.
This module reads tasks; ``topic_answers`` writes the answers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

RESULTS_TOPIC = "onewindow.task-results"
ENVELOPE_HEADERS = (
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
REQUIRED_HEADERS = ("event_id", "event_type", "occurred_at", "application_id", "producer")


def tasks_topic(department: str) -> str:
    return f"onewindow.tasks.{department}"


class MalformedTask(ValueError):
    """A record on a tasks topic that does not match the documented format; says what is wrong."""


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")  # a tolerant reader


class TaskEnvelope(_Part):
    event_id: UUID
    event_type: str = Field(min_length=1)
    schema_version: int = 1
    occurred_at: AwareDatetime
    application_id: UUID
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    traceparent: str | None = None
    producer: str = Field(min_length=1)


class _TaskPayload(_Part):
    subtask: str = Field(min_length=1)
    department: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    filing_key: str = Field(min_length=1, max_length=200)


class Dispatch(_TaskPayload):
    title: str = Field(min_length=1)
    inputs: dict[str, Any]
    materials: tuple[str, ...] = ()
    time_limit_days: int = Field(ge=1)


class Cancel(_TaskPayload):
    reason: str = Field(min_length=1)


PAYLOADS: dict[str, type[Dispatch] | type[Cancel]] = {
    "SubtaskDispatched": Dispatch,
    "SubtaskCancelled": Cancel,
}


@dataclass(frozen=True)
class Task:
    envelope: TaskEnvelope
    payload: Dispatch | Cancel


def _describe(e: ValidationError, where: str) -> str:
    return "; ".join(f"{where}.{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())


def _envelope(headers: Sequence[tuple[str, bytes]]) -> TaskEnvelope:
    try:
        meta = {name: raw.decode() for name, raw in headers if name in ENVELOPE_HEADERS}
    except UnicodeDecodeError:
        raise MalformedTask("a header value is not UTF-8") from None
    missing = [name for name in REQUIRED_HEADERS if name not in meta]
    if missing:
        raise MalformedTask(f"missing headers: {', '.join(missing)}")
    try:
        envelope = TaskEnvelope.model_validate(meta)
    except ValidationError as e:
        raise MalformedTask(_describe(e, "headers")) from None
    if envelope.schema_version != 1:
        raise MalformedTask(f"unsupported schema_version {envelope.schema_version}")
    return envelope


def read_task(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]], department: str
) -> Task:
    """One record of ``onewindow.tasks.<department>``; raises MalformedTask naming the problem."""
    envelope = _envelope(headers)
    if key is not None and key != str(envelope.application_id).encode():
        raise MalformedTask("key differs from the application_id header")
    model = PAYLOADS.get(envelope.event_type)
    if model is None:
        raise MalformedTask(f"event_type {envelope.event_type!r} is not a task event")
    try:
        body = json.loads(value or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MalformedTask(f"value is not UTF-8 JSON: {e}") from None
    if not isinstance(body, dict):
        raise MalformedTask("value must be a JSON object")
    try:
        payload = model.model_validate(body)
    except ValidationError as e:
        raise MalformedTask(_describe(e, "value")) from None
    if payload.department != department:
        raise MalformedTask(f"task for department {payload.department!r}, not {department!r}")
    return Task(envelope, payload)
