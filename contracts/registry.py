"""Maps (event_type, schema_version) to the model of its payload."""

from __future__ import annotations

from typing import TypeVar, overload

from contracts.envelope import DECODED, Envelope, Event

E = TypeVar("E", bound=type[Event])
M = TypeVar("M", bound=Event)
N = TypeVar("N", bound=Event)

_models: dict[tuple[str, int], type[Event]] = {}


class UnknownEventType(LookupError):
    def __init__(self, event_type: str, schema_version: int) -> None:
        super().__init__(f"unknown event type {event_type!r} version {schema_version}")


class UnexpectedEvent(TypeError):
    """An event of another model than its reader expects: it was handed to the wrong reader."""

    def __init__(self, event: Event, expected: str) -> None:
        super().__init__(
            f"{event.event_type} (schema version {event.schema_version},"
            f" {type(event).__name__}) where {expected} was expected"
        )


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
    """The typed payload of an envelope; raises UnknownEventType or pydantic.ValidationError.

    Decoded once per envelope (a consumer's check of a record, then its handler's reading),
    not at all for one made from its event (Envelope.new)."""
    kept = envelope.__dict__.get(DECODED)
    if kept is not None and kept[0] is envelope.payload:
        return kept[1]  # type: ignore[no-any-return]
    event = model_for(envelope.event_type, envelope.schema_version).model_validate(envelope.payload)
    envelope.__dict__[DECODED] = (envelope.payload, event)
    return event


@overload
def narrow(event: Event, model: type[M], /) -> M: ...
@overload
def narrow(event: Event, model: type[M], other: type[N], /) -> M | N: ...
def narrow(event: Event, *models: type[Event]) -> Event:
    """`event` as one of `models`; raises UnexpectedEvent, naming what it is and what was
    expected, if it is none of them."""
    if isinstance(event, models):
        return event
    raise UnexpectedEvent(event, " or ".join(m.__name__ for m in models))


def decode_as(envelope: Envelope, model: type[M]) -> M:
    """The typed payload of an envelope, of `model`; raises UnknownEventType,
    pydantic.ValidationError, or UnexpectedEvent when its type decodes to another model."""
    return narrow(decode(envelope), model)
