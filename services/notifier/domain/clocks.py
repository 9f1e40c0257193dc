"""Routing of the time-limit events (电子监察): which recipients a warning or an overdue
notice goes to, and the notice key that makes each of them once per clock and limit.

- application, subtask and follow-up (差评整改) clocks, warned or exceeded: the supervision
  channel, and the department's contact when the event names a department;
- deficiency (容缺) and supplement clocks, warned: the applicant, a reminder; exceeded:
  nothing (a lapsed supplement ends the application, and its lapse notice follows).
"""

from __future__ import annotations

from typing import Literal

from contracts.events import TimeLimitExceeded, TimeLimitWarned
from services.notifier.domain.contacts import Recipient, Role, Watchers

ClockEvent = TimeLimitWarned | TimeLimitExceeded
Stage = Literal["warned", "exceeded"]

SUPERVISED = frozenset({"application", "subtask", "follow-up"})
REMINDED = frozenset({"deficiency", "supplement"})


def stage(event: ClockEvent) -> Stage:
    return "warned" if isinstance(event, TimeLimitWarned) else "exceeded"


def clock_key(event: ClockEvent, role: Role) -> str:
    """`clock:<kind>:<clock_id>:<limit>:<warned|exceeded>:<recipient role>`: a second event
    for the same clock, limit and stage finds the notice prepared and sends nothing."""
    return f"clock:{event.clock}:{event.clock_id}:{event.limit}:{stage(event)}:{role}"


def watchers_of(event: ClockEvent, watchers: Watchers) -> list[Recipient]:
    """The supervision channel, then the department's contact when the event names a
    department the contacts know."""
    if event.clock not in SUPERVISED:
        return []
    found = list(watchers.supervision)
    if event.department and event.department in watchers.departments:
        found.append(watchers.departments[event.department])
    return found


def without_contact(event: ClockEvent, watchers: Watchers) -> bool:
    """A supervised event naming a department that has no contact (worth a warning)."""
    named = event.clock in SUPERVISED and event.department is not None
    return named and event.department not in watchers.departments


def reminds_applicant(event: ClockEvent) -> bool:
    return isinstance(event, TimeLimitWarned) and event.clock in REMINDED
