"""Events the router keeps in its own log and never publishes."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import Event
from contracts.events import ClockKind, DatasetAnswer, Delivery
from contracts.registry import register

Limit = Literal["promised", "statutory", "own"]


class LibraryCertificate(BaseModel):
    """A valid e-certificate the library held for a holder when the router looked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    holder: str
    number: str
    department: str
    issued_at: AwareDatetime
    verification_hash: str


@register
class ProcessStarted(Event):
    event_type = "router.ProcessStarted"
    matter: str
    receipt_number: str
    applicant_name: str
    delivery: Delivery
    form: dict[str, Any]
    materials: tuple[str, ...] = ()
    # time limits: absent in logs written before them, whose processes keep no clocks
    submitted_at: AwareDatetime | None = None
    deferred_materials: tuple[str, ...] = ()
    materials_promised_by: date | None = None
    # what the e-certificate library held for the application's holders at submission
    library: tuple[LibraryCertificate, ...] = ()
    # the applicant's identity, checked against its register (absent: not checked)
    applicant_kind: Literal["person", "company"] | None = None
    applicant_id: str | None = None


@register
class SupplementAccepted(Event):
    """The applicant answered the pending notice: its sub-tasks run again with this form."""

    event_type = "router.SupplementAccepted"
    notice_id: str
    materials: tuple[str, ...] = ()
    form: dict[str, Any] = Field(default_factory=dict)
    library: tuple[LibraryCertificate, ...] = ()  # as it was when the answer came


@register
class LookupRecorded(Event):
    """The registers' answer to the lookup the process awaited, as dept_adapter recorded it."""

    event_type = "router.LookupRecorded"
    lookup_key: str
    answers: tuple[DatasetAnswer, ...]


@register
class WithdrawalRecorded(Event):
    event_type = "router.WithdrawalRecorded"
    reason: str


@register
class ClockStarted(Event):
    """One time limit the router keeps: its marks at 80 % (`warn_at`) and 100 % (`due_at`)."""

    event_type = "router.ClockStarted"
    clock: ClockKind
    clock_id: str
    limit: Limit
    department: str | None = None
    limit_days: int = Field(ge=1)
    started_at: AwareDatetime
    warn_at: AwareDatetime
    due_at: AwareDatetime


@register
class ClockUnavailable(Event):
    """A limit the calendar cannot count (a date beyond its range): that clock is not kept."""

    event_type = "router.ClockUnavailable"
    clock: ClockKind
    clock_id: str
    limit: Limit
    reason: str


@register
class ClocksPaused(Event):
    """A supplement notice went out: the application's and sub-tasks' clocks stop counting at
    `paused_from`, the end of the notice's day (that day still counts)."""

    event_type = "router.ClocksPaused"
    notice_id: str
    at: AwareDatetime
    paused_from: AwareDatetime


class MarksMoved(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clock: ClockKind
    clock_id: str
    limit: Limit
    warn_at: AwareDatetime
    due_at: AwareDatetime


@register
class ClocksResumed(Event):
    """The supplement was accepted: the clocks count again from `resumed_from`, and every mark
    after `paused_from` moved on by `paused_days` working days (docs/time-limits.md)."""

    event_type = "router.ClocksResumed"
    notice_id: str
    at: AwareDatetime
    resumed_from: AwareDatetime
    paused_days: int = Field(ge=0)
    moved: tuple[MarksMoved, ...] = ()


@register
class SupplementLapsed(Event):
    """The pending notice was not answered by its due time: the application ends as lapsed."""

    event_type = "router.SupplementLapsed"
    notice_id: str


@register
class MaterialsRecorded(Event):
    """Materials handed in after the submission, e.g. those accepted as deficient (容缺)."""

    event_type = "router.MaterialsRecorded"
    materials: tuple[str, ...] = Field(min_length=1)


@register
class FollowUpTracked(Event):
    event_type = "router.FollowUpTracked"
    case_id: str
    opened_at: AwareDatetime
    time_limit_days: int = Field(ge=1)


@register
class FollowUpEnded(Event):
    event_type = "router.FollowUpEnded"
    case_id: str
