"""The router's records of decisions that join several results, each made in a span of its
own that links to the spans of the results it joins (domain/fan_in.py says which)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from contracts.catalog import Matter
from contracts.envelope import Envelope, Event
from runtime.tracing import links_to, tracer
from services.router.domain.fan_in import joined, latest_results


def recorded_joining(
    events: Sequence[Event],
    envelope_of: Callable[[Event], Envelope],
    history: Sequence[Envelope],
    matter: Matter | None,
) -> list[Envelope]:
    """`envelope_of` each event; a joining one inside its span, so it carries that span's
    traceparent."""
    latest, recorded = latest_results(history), list[Envelope]()
    for event in events:
        results = joined(event, latest, matter)
        if results:
            with tracer().start_as_current_span(
                f"join {event.event_type}",
                links=links_to(r.traceparent for r in results),
                attributes={"onewindow.joined_subtasks": sorted(latest_key(r) for r in results)},
            ):
                envelope = envelope_of(event)
        else:
            envelope = envelope_of(event)
        latest.update(latest_results([envelope]))
        recorded.append(envelope)
    return recorded


def latest_key(result: Envelope) -> str:
    return str(result.payload.get("subtask"))
