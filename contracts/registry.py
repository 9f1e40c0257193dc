"""Maps (event_type, schema_version) to the model of its payload."""

from __future__ import annotations

from typing import TypeVar

from contracts.envelope import Envelope, Event

E = TypeVar("E", bound=type[Event])

_models: dict[tuple[str, int], type[Event]] = {}


class UnknownEventType(LookupError):
    def __init__(self, event_type: str, schema_version: int) -> None:
        super().__init__(f"unknown event type {event_type!r} version {schema_version}")


def register(model: E) -> E:
    key = (model.event_type, model.schema_version)
    if key in _models and _models[key] is not model:
        raise ValueError(f"event type {key} registered twice")
    _models[key] = model
    return model


def model_for(event_type: str, schema_version: int) -> type[Event]:
    try:
        return _models[(event_type, schema_version)]
    except KeyError:
        raise UnknownEventType(event_type, schema_version) from None


def registered() -> dict[tuple[str, int], type[Event]]:
    return dict(_models)


def decode(envelope: Envelope) -> Event:
    """The typed payload of an envelope; raises UnknownEventType or pydantic.ValidationError."""
    return model_for(envelope.event_type, envelope.schema_version).model_validate(envelope.payload)
