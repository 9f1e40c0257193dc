"""What the router's newly recorded events tell its metrics: an application decided (and
how long from its submission), a sub-task answered by its department (and how long from
the dispatch it answers), a time-limit mark reached. Each fact is recorded once in the log,
so measuring only what was just appended measures each fact once. Pure, no I/O.

Durations use the times the router stamped on its own events (its one clock), never a
department's clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from contracts.envelope import Envelope
from contracts.events import (
    OutcomeDecided,
    ResultRecorded,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskFailed,
    SubtaskRejected,
    SupplementRequested,
    TimeLimitExceeded,
    TimeLimitWarned,
)
from contracts.registry import decode, decode_as, narrow
from services.router.domain.events import ProcessStarted

ANSWERS = {
    SubtaskCompleted.event_type: "completed",
    SubtaskRejected.event_type: "rejected",
    SubtaskFailed.event_type: "failed",
    SupplementRequested.event_type: "supplement",
}


@dataclass(frozen=True)
class Decided:
    matter: str
    decision: str
    seconds: float | None  # from the submission; None if the log does not say when


@dataclass(frozen=True)
class Answered:
    department: str
    answer: str  # one of ANSWERS' values
    seconds: float  # from the dispatch the answer names by its filing key


@dataclass(frozen=True)
class Marked:
    mark: Literal["warned", "exceeded"]
    clock: str
    limit: str
    department: str  # "" for a clock of the whole application


Measure = Decided | Answered | Marked


def measures(history: Sequence[Envelope], new: Sequence[Envelope]) -> list[Measure]:
    """The measures of `new`, just appended to a process whose log was `history`."""
    found: list[Measure] = []
    earlier = list(history)
    for envelope in new:
        measure = _measure(envelope, earlier)
        if measure is not None:
            found.append(measure)
        earlier.append(envelope)
    return found


def _measure(envelope: Envelope, earlier: Sequence[Envelope]) -> Measure | None:
    if envelope.event_type not in _MEASURED:
        return None
    event = decode(envelope)
    if isinstance(event, OutcomeDecided):
        submitted = _submitted_at(earlier)
        seconds = None if submitted is None else _seconds(submitted, envelope.occurred_at)
        return Decided(event.matter, event.decision, seconds)
    if isinstance(event, TimeLimitWarned | TimeLimitExceeded):
        mark: Literal["warned", "exceeded"] = (
            "warned" if isinstance(event, TimeLimitWarned) else "exceeded"
        )
        return Marked(mark, event.clock, event.limit, event.department or "")
    return _answered(narrow(event, ResultRecorded).result, envelope.occurred_at, earlier)


def _answered(
    result: Envelope, recorded_at: datetime, earlier: Sequence[Envelope]
) -> Answered | None:
    answer = ANSWERS.get(result.event_type)
    if answer is None:
        return None
    key, department = result.payload.get("filing_key"), result.payload.get("department")
    dispatched = [
        e
        for e in earlier
        if e.event_type == SubtaskDispatched.event_type and e.payload.get("filing_key") == key
    ]
    if not dispatched or not isinstance(department, str):
        return None
    return Answered(department, answer, _seconds(dispatched[-1].occurred_at, recorded_at))


def _submitted_at(earlier: Sequence[Envelope]) -> datetime | None:
    for envelope in earlier:
        if envelope.event_type == ProcessStarted.event_type:
            started = decode_as(envelope, ProcessStarted)
            return started.submitted_at or envelope.occurred_at
    return None


def _seconds(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0)


_MEASURED = frozenset(
    {
        OutcomeDecided.event_type,
        TimeLimitWarned.event_type,
        TimeLimitExceeded.event_type,
        ResultRecorded.event_type,
    }
)
