"""The AsyncAPI 3.0 document of one service, from its Service definition and the contracts.

Channels are topics; the per-department topics `onewindow.tasks.<department>` are one channel
with the parameter `department`, its enum the departments the service uses. A service sends
every published event whose topic is among its `publishes_to`, and receives every event on the
topics its consumers subscribe to (a consumer passes over the types it has no handler for); a
service with consumers also sends dead letters (the records they cannot take).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from contracts.departments import DEPARTMENTS
from contracts.kafka import to_kafka
from contracts.publish.checkpoints import CHANNEL as CHECKPOINT_CHANNEL
from contracts.publish.checkpoints import MESSAGE as CHECKPOINT_MESSAGE
from contracts.publish.checkpoints import (
    checkpoint_channel,
    checkpoint_message,
    checkpoint_operation,
)
from contracts.publish.dead_letters import (
    CHANNEL,
    MESSAGE,
    dead_letter_channel,
    dead_letter_message,
    dead_letter_operation,
)
from contracts.publish.examples import EXAMPLES, example_envelope
from contracts.publish.schemas import (
    HEADERS_FILE,
    KAFKA_BINDING,
    PARAMETER,
    SCHEMAS,
    PublishedEvent,
    topic_pattern,
)

ASYNCAPI = "3.0.0"
VERSION = "1.0.0"
UNKNOWN_PRODUCER = "onewindow"


class Subscription(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def topics(self) -> Sequence[str]: ...


class ServiceSettings(Protocol):
    @property
    def kafka_bootstrap_servers(self) -> str: ...
    @property
    def checkpoint_enabled(self) -> bool: ...


class ServiceShape(Protocol):
    """What a document needs of runtime.service.Service."""

    @property
    def name(self) -> str: ...
    @property
    def settings(self) -> ServiceSettings: ...
    @property
    def consumers(self) -> Sequence[Subscription]: ...
    @property
    def publishes_to(self) -> Sequence[str]: ...


def asyncapi_document(
    service: ServiceShape, events: Sequence[PublishedEvent], producers: dict[str, str]
) -> dict[str, Any]:
    """`producers` names the service that sends each event type (for the examples' headers)."""
    channels: dict[str, dict[str, Any]] = {}
    operations: dict[str, dict[str, Any]] = {}
    used: dict[str, PublishedEvent] = {}
    for channel, (address, departments, on_it) in _by_channel(service.publishes_to, events).items():
        channels[channel] = _channel(address, departments, on_it)
        operations[f"send-{channel}"] = _operation("send", channel, on_it, None)
        used.update((e.event_type, e) for e in on_it)
    for consumer in service.consumers:
        group = f"{service.name}.{consumer.name}"
        for channel, (address, departments, on_it) in _by_channel(consumer.topics, events).items():
            known = channels.get(channel, {}).get("parameters", {}).get("department", {})
            channels[channel] = _channel(address, departments | set(known.get("enum", ())), on_it)
            operations[f"receive-{channel}-{consumer.name}"] = _operation(
                "receive", channel, on_it, group
            )
            used.update((e.event_type, e) for e in on_it)
    messages = {t: _message(e, producers.get(t, UNKNOWN_PRODUCER)) for t, e in sorted(used.items())}
    if service.consumers:  # every consumer sends what it cannot take to the dead letters
        channels[CHANNEL] = dead_letter_channel()
        operations[f"send-{CHANNEL}"] = dead_letter_operation()
        messages[MESSAGE] = dead_letter_message()
    if service.settings.checkpoint_enabled:  # every service signs its log (contracts/checkpoint.py)
        channels[CHECKPOINT_CHANNEL] = checkpoint_channel()
        operations[f"send-{CHECKPOINT_CHANNEL}"] = checkpoint_operation()
        messages[CHECKPOINT_MESSAGE] = checkpoint_message(SCHEMAS, KAFKA_BINDING)
    return {
        "asyncapi": ASYNCAPI,
        "info": {
            "title": f"OneWindow {service.name}",
            "version": VERSION,
            "description": (
                f"What `{service.name}` sends and receives on Kafka. Generated from "
                f"services/{service.name}/bootstrap.py and contracts/ by "
                "`onewindow contracts generate`; do not edit. Record key: the application_id; "
                "value: the payload JSON; headers: the envelope."
            ),
        },
        "servers": {
            "local": {
                "host": service.settings.kafka_bootstrap_servers,
                "protocol": "kafka",
                "description": "The demo broker of `onewindow up`; elsewhere "
                "ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS.",
            }
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": dict(sorted(messages.items()))},
    }


_Grouped = dict[str, tuple[str, set[str], list[PublishedEvent]]]


def _by_channel(topics: Sequence[str], events: Sequence[PublishedEvent]) -> _Grouped:
    """The topics grouped by channel: its address, the departments named, its events."""
    grouped: _Grouped = {}
    for topic in topics:
        address = next((e.topic for e in events if topic_pattern(e.topic).fullmatch(topic)), topic)
        channel = channel_id(address)
        on_it = [e for e in events if e.topic == address]
        departments = grouped.setdefault(channel, (address, set(), on_it))[1]
        if PARAMETER in address:
            departments.add(topic.removeprefix(address.split(PARAMETER)[0]))
    return grouped


def channel_id(address: str) -> str:
    """`onewindow.task-results` → `task-results`; `onewindow.tasks.{department}` → `tasks`."""
    parts = [p for p in address.split(".") if p != "onewindow" and not p.startswith("{")]
    return "-".join(parts)


def _channel(address: str, departments: set[str], events: list[PublishedEvent]) -> dict[str, Any]:
    where = f"One Kafka topic per department, `{address}`" if PARAMETER in address else address
    channel: dict[str, Any] = {
        "address": address,
        "description": f"{where}; partitioned by the record key, the application_id.",
        "messages": {
            e.event_type: {"$ref": f"#/components/messages/{e.event_type}"} for e in events
        },
    }
    if PARAMETER in address:
        names = ", ".join(f"{d} = {DEPARTMENTS.get(d, '?')}" for d in sorted(departments))
        channel["parameters"] = {
            "department": {"enum": sorted(departments), "description": f"Department: {names}."}
        }
    return channel


def _operation(
    action: str, channel: str, events: list[PublishedEvent], group: str | None
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{e.event_type}"} for e in events],
    }
    if group is not None:
        operation["description"] = (
            f"Consumer group `{group}`. Offsets are committed after the handler's transaction; "
            "an event already processed (same event_id) changes nothing."
        )
        operation["bindings"] = {
            "kafka": {
                "groupId": {"type": "string", "enum": [group]},
                "bindingVersion": KAFKA_BINDING,
            }
        }
    return operation


def _message(event: PublishedEvent, producer: str) -> dict[str, Any]:
    description = (event.model.__doc__ or "").strip()
    message: dict[str, Any] = {
        "name": event.event_type,
        "title": event.event_type,
        "summary": description.splitlines()[0] if description else event.event_type,
        "contentType": "application/json",
        "headers": {"$ref": SCHEMAS + HEADERS_FILE},
        "payload": {"$ref": SCHEMAS + event.file},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "format": "uuid", "description": "The application_id."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }
    example = EXAMPLES.get((event.event_type, event.schema_version))
    if example is not None:
        key, _, headers = to_kafka(example_envelope(example, producer))
        message["examples"] = [
            {
                "name": event.event_type,
                "summary": f"key {key.decode()}",
                "headers": {name: raw.decode() for name, raw in headers},
                "payload": example.model_dump(mode="json"),
            }
        ]
    return message
