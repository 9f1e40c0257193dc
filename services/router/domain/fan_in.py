"""Which sub-task results a decision joins (the fan-in): an outcome or a held result joins
every sub-task's latest result; a supplement notice the requests it merges into one; a
dispatch the results of its prerequisites, when it has several. The router's span of such a
decision links to the spans of those results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contracts.catalog import Matter
from contracts.envelope import Envelope, Event
from contracts.events import (
    OutcomeDecided,
    ResultHeld,
    ResultRecorded,
    SubtaskDispatched,
    SupplementNoticeIssued,
    SupplementRequested,
)


def latest_results(history: Iterable[Envelope]) -> dict[str, Envelope]:
    """Each sub-task's latest result as the router recorded it, by sub-task code."""
    latest: dict[str, Envelope] = {}
    for envelope in history:
        if envelope.event_type == ResultRecorded.event_type:
            result = Envelope.model_validate(envelope.payload["result"])
            latest[str(result.payload.get("subtask"))] = result
    return latest


def joined(event: Event, latest: Mapping[str, Envelope], matter: Matter | None) -> list[Envelope]:
    """The results `event` is decided on, when it joins more than the one just in."""
    if isinstance(event, OutcomeDecided | ResultHeld):
        return list(latest.values())
    if isinstance(event, SupplementNoticeIssued):
        return [r for r in latest.values() if r.event_type == SupplementRequested.event_type]
    if isinstance(event, SubtaskDispatched) and matter is not None:
        requires = matter.subtask(event.subtask).requires
        return [latest[c] for c in requires if c in latest] if len(requires) > 1 else []
    return []
