"""Events dept_adapter keeps in its own log and never publishes (topic_for maps them to None).

A filing's stream is `filing-<filing_key>`: FilingRequested first, then what happened to it.
A lookup's stream is `lookup-<lookup_key>`: LookupRequested, then RegisterLookupAnswered.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from contracts.envelope import Event
from contracts.events import DatasetLookup
from contracts.registry import register


@register
class FilingRequested(Event):
    """A dispatched sub-task, recorded in the inbox transaction; a worker files it later."""

    event_type = "DeptAdapterFilingRequested"
    subtask: str = Field(min_length=1)
    department: str = Field(min_length=1)
    title: str = Field(min_length=1)
    filing_key: str = Field(min_length=1, max_length=200)
    inputs: dict[str, Any]
    materials: tuple[str, ...] = ()
    time_limit_days: int = Field(ge=1)


@register
class CancellationRequested(Event):
    event_type = "DeptAdapterCancellationRequested"
    subtask: str = Field(min_length=1)
    department: str = Field(min_length=1)
    filing_key: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1)


@register
class AnswerWithheld(Event):
    """The legacy system answered a filing whose cancellation was requested meanwhile:
    the answer is not published, but its receipt is kept so the filing can be cancelled."""

    event_type = "DeptAdapterAnswerWithheld"
    department: str = Field(min_length=1)
    filing_key: str = Field(min_length=1, max_length=200)
    legacy_receipt: str = Field(min_length=1)


@register
class LookupRequested(Event):
    """The register records an application needs, recorded in the inbox transaction; a
    worker fetches them from the data-sharing platform later."""

    event_type = "DeptAdapterLookupRequested"
    lookup_key: str = Field(min_length=1, max_length=200)
    matter: str = Field(min_length=1)
    lookups: tuple[DatasetLookup, ...] = Field(min_length=1)
