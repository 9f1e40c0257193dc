"""Events that cross service boundaries. Past tense, frozen, registered by (type, version)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from contracts.envelope import Event
from contracts.registry import register

Channel = Literal["window", "web", "mobile", "kiosk"]


@register
class ApplicationSubmitted(Event):
    event_type = "ApplicationSubmitted"
    matter: str = Field(description="Catalog code of the matter.", examples=["business-startup"])
    channel: Channel
    receipt_number: str = Field(description="Receipt number handed to the applicant.")
    applicant: dict[str, Any]
    form: dict[str, Any] = Field(description="The unified form, validated against the catalog.")


@register
class SubtaskDispatched(Event):
    event_type = "SubtaskDispatched"
    subtask: str = Field(examples=["amr-licence"])
    department: str = Field(pattern=r"^[a-z][a-z0-9-]*$", examples=["amr"])
    inputs: dict[str, Any]


@register
class SubtaskCompleted(Event):
    event_type = "SubtaskCompleted"
    subtask: str
    department: str
    legacy_receipt: str | None = None
    outputs: dict[str, Any] = Field(default_factory=dict)


@register
class OutcomeDecided(Event):
    event_type = "OutcomeDecided"
    decision: Literal["approved", "rejected"]
    outputs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Outputs per sub-task."
    )


@register
class ResultDelivered(Event):
    event_type = "ResultDelivered"
    channel: str
    receipt: str | None = None
