"""Events the router keeps in its own log and never publishes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from contracts.envelope import Event
from contracts.events import Delivery
from contracts.registry import register


@register
class ProcessStarted(Event):
    event_type = "router.ProcessStarted"
    matter: str
    receipt_number: str
    applicant_name: str
    delivery: Delivery
    form: dict[str, Any]
    materials: tuple[str, ...] = ()


@register
class SupplementAccepted(Event):
    """The applicant answered the pending notice: its sub-tasks run again with this form."""

    event_type = "router.SupplementAccepted"
    notice_id: str
    materials: tuple[str, ...] = ()
    form: dict[str, Any] = Field(default_factory=dict)


@register
class WithdrawalRecorded(Event):
    event_type = "router.WithdrawalRecorded"
    reason: str
