"""What the ops console shows: applications in flight, clock alerts, backlogs, the adapter's
health and one application's timeline across every service's log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

# A sub-task in one of these is in a department's hands; supplement_requested is the applicant's.
HELD_BY_DEPARTMENT = ("dispatched", "accepted")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")


@dataclass(frozen=True)
class SubtaskLine:
    subtask: str
    department: str
    status: str
    legacy_receipt: str | None
    dispatched_at: datetime | None
    due_at: datetime | None


@dataclass(frozen=True)
class InFlight:
    application_id: UUID
    receipt_number: str
    matter: str
    status: str
    submitted_at: datetime
    notice_due_at: datetime | None
    subtasks: tuple[SubtaskLine, ...]


@dataclass(frozen=True)
class ClockAlert:
    """A clock's limit past 80 % (warned) or 100 % (exceeded) that still runs."""

    application_id: UUID
    receipt_number: str
    clock: str
    clock_id: str
    limit: str
    holder: str
    started_at: datetime
    due_at: datetime
    warned_at: datetime | None
    exceeded_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.exceeded_at is not None


@dataclass(frozen=True)
class Backlog:
    """Sub-tasks a department holds: dispatched or accepted, not yet answered."""

    department: str
    dispatched: int
    accepted: int
    oldest_since: datetime
    overdue: int


class DepartmentHealth(BaseModel):
    """One department as dept_adapter's GET /departments reports it."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    protocol: str
    breaker: str
    in_flight: int
    pending: int
    last_error: str | None = None


@dataclass(frozen=True)
class AdapterHealth:
    url: str
    departments: dict[str, DepartmentHealth]
    error: str | None = None  # set: unreachable or unreadable, `departments` empty


@dataclass(frozen=True)
class LoggedEvent:
    occurred_at: datetime
    log: str
    producer: str
    event_type: str
    event_id: UUID
    trace_id: str | None
    summary: str | None


@dataclass(frozen=True)
class ApplicationDetail:
    application_id: UUID
    receipt_number: str | None
    matter: str | None
    status: str
    channel: str | None
    submitted_at: datetime | None
    updated_at: datetime | None
    subtasks: tuple[SubtaskLine, ...]
    alerts: tuple[ClockAlert, ...]
    events: tuple[LoggedEvent, ...]


_HEALTH = TypeAdapter(dict[str, DepartmentHealth])


def department_health(document: Any) -> dict[str, DepartmentHealth]:
    """Raises ValueError, naming the field, when the answer is not {dept: {protocol, ...}}."""
    try:
        return _HEALTH.validate_python(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"unexpected answer at {where or '(root)'}: {first['msg']}") from None


def trace_id(traceparent: str | None) -> str | None:
    """The trace-id part of a W3C traceparent; None when absent, malformed or all zeros."""
    found = _TRACEPARENT.fullmatch(traceparent.strip()) if traceparent else None
    if found is None or set(found.group(1)) == {"0"}:
        return None
    return found.group(1)


def holder(clock: str, department: str | None, open_departments: Sequence[str]) -> str:
    """Who is holding up the clock: a department, the applicant, or the hall."""
    if clock == "subtask" and department:
        return department
    if clock in ("supplement", "deficiency"):
        return "applicant"
    if clock == "follow-up":
        return "hall (follow-up)"
    return ", ".join(sorted(set(open_departments))) or department or "—"


def in_order(lines: Sequence[SubtaskLine], order: Sequence[str]) -> tuple[SubtaskLine, ...]:
    """Sub-tasks in the catalog's `order` of the matter; any others after them."""

    def position(line: SubtaskLine) -> tuple[int, str]:
        return (order.index(line.subtask) if line.subtask in order else len(order), line.subtask)

    return tuple(sorted(lines, key=position))


def age(since: datetime, now: datetime) -> str:
    """A short duration from `since` to `now`: '2 d 3 h', '4 h 5 min', '12 min'."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
