"""A lookup's state, rebuilt from its stream: what was asked, and whether it was answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.envelope import Envelope
from contracts.events import RegisterLookupAnswered
from services.dept_adapter.domain.events import LookupRequested

STREAM_PREFIX = "lookup-"


def lookup_stream(lookup_key: str) -> str:
    return STREAM_PREFIX + lookup_key


@dataclass(frozen=True)
class Lookup:
    requested: Envelope
    request: LookupRequested
    version: int
    answered: bool

    @property
    def key(self) -> str:
        return self.request.lookup_key


def replay_lookup(events: Sequence[Envelope]) -> Lookup | None:
    if not events or events[0].event_type != LookupRequested.event_type:
        return None
    answered = any(e.event_type == RegisterLookupAnswered.event_type for e in events)
    first = events[0]
    return Lookup(first, LookupRequested.model_validate(first.payload), len(events), answered)
