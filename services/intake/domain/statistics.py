"""The reform's measures over the applications decided in a period (docs/statistics.md).

Pure: the adapter reads one `Decided` per application and one `Completed` per completed
sub-task filing from the read model; everything here is arithmetic on those.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from contracts.calendar import CalendarRangeError, WorkingCalendar
from contracts.catalog import Matter
from services.intake.domain.periods import day_after, day_start

RESULTS = frozenset({"approved", "rejected"})  # decisions that hand the applicant a result
SATISFIED_FROM = 3


@dataclass(frozen=True)
class Decided:
    """One application decided in the period, as the statistics need it."""

    matter: str
    decision: str
    working_days: float | None
    on_time: bool | None
    visits: int
    rating: int | None  # the applicant's own; a clerk-recorded one is in `rated_by_clerk`
    rated_by_clerk: bool
    materials_needed: int
    materials_brought: int
    spared_by_sharing: int
    departments: frozenset[str]


@dataclass(frozen=True)
class Completed:
    """One completed sub-task filing of a decided application."""

    department: str
    working_days: float | None  # None: dispatch or completion outside the calendar
    on_time: bool | None  # None: dispatched without a deadline


class Figures(BaseModel):
    model_config = ConfigDict(frozen=True)

    volume: int = Field(description="Applications decided in the period.")
    decisions: dict[str, int]
    timed: int = Field(description="Results (approved, rejected) with working days known.")
    median_working_days: float | None = Field(description="Nearest-rank 50th percentile.")
    p90_working_days: float | None = Field(description="Nearest-rank 90th percentile.")
    on_time_rate: float | None
    at_most_one_visit_rate: float | None = Field(description="最多跑一次实现率")
    zero_visit_rate: float | None
    rated: int = Field(description="Applications the applicant rated through its own client.")
    rated_by_clerk: int = Field(
        description="Ratings a clerk recorded at the counter: in no satisfaction rate."
    )
    satisfaction_rate: float | None = Field(
        description="Share of the applicants' own ratings 3 or higher."
    )
    materials_needed: int = Field(description="Sum over applications of the matter's materials.")
    materials_brought: int = Field(description="Distinct materials the applicant handed in.")
    materials_spared_rate: float | None = Field(description="1 - brought / needed")
    materials_spared_by_sharing: int = Field(
        description="Materials fetched from a register or the e-certificate library, not brought."
    )


def period_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime | None]:
    """[start, end) of the local days `first` to `last` inclusive; no end (None) when `last`
    is the last day a date can name."""
    if last < first:
        raise ValueError(f"to ({last}) is before from ({first})")
    return day_start(first, zone), day_after(last, zone)


def nearest_rank(values: Sequence[float], percent: int) -> float | None:
    """The smallest value with at least `percent` % of the values at or below it."""
    if not values:
        return None
    rank = -(-percent * len(values) // 100)  # ceil without floats
    return sorted(values)[max(rank, 1) - 1]


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def decided_application(
    code: str,
    matter: Matter | None,
    *,
    decision: str,
    working_days: float | None,
    on_time: bool | None,
    visits: int,
    rating: int | None,
    recorded_by: str | None = "applicant",
    brought: Collection[str],
    departments: Iterable[str],
    obtained: Collection[str] = (),
) -> Decided:
    """`brought`: every material the applicant handed in (submission, supplements, hand-ins);
    `obtained`: those OneWindow actually fetched from a register or took from the
    e-certificate library; `matter` is None for a matter no longer in the catalog: no
    materials to compare; a rating `recorded_by` a clerk is not the applicant's own voice."""
    by_clerk = rating is not None and recorded_by == "clerk"
    codes = {m.code for m in matter.materials} if matter else set()
    shared = codes & set(obtained)
    return Decided(
        matter=code,
        decision=decision,
        working_days=working_days,
        on_time=on_time,
        visits=visits,
        rating=None if by_clerk else rating,
        rated_by_clerk=by_clerk,
        materials_needed=len(codes),
        materials_brought=len(codes & set(brought)),
        spared_by_sharing=len(shared - set(brought)),
        departments=frozenset(departments),
    )


def figures(
    applications: Sequence[Decided], subtasks: Sequence[Completed] | None = None
) -> Figures:
    """The measures of `applications`; time and on-time from `subtasks` when given (a
    department's figures), else from each application's outcome."""
    results = [a for a in applications if a.decision in RESULTS]
    if subtasks is None:
        days = [a.working_days for a in results if a.working_days is not None]
        timely = [a.on_time for a in results if a.on_time is not None]
    else:
        days = [s.working_days for s in subtasks if s.working_days is not None]
        timely = [s.on_time for s in subtasks if s.on_time is not None]
    ratings = [a.rating for a in applications if a.rating is not None]
    needed = sum(a.materials_needed for a in applications)
    brought = sum(a.materials_brought for a in applications)
    decisions: dict[str, int] = {}
    for a in applications:
        decisions[a.decision] = decisions.get(a.decision, 0) + 1
    return Figures(
        volume=len(applications),
        decisions=dict(sorted(decisions.items())),
        timed=len(days),
        median_working_days=nearest_rank(days, 50),
        p90_working_days=nearest_rank(days, 90),
        on_time_rate=rate(sum(timely), len(timely)),
        at_most_one_visit_rate=rate(sum(a.visits <= 1 for a in applications), len(applications)),
        zero_visit_rate=rate(sum(a.visits == 0 for a in applications), len(applications)),
        rated=len(ratings),
        rated_by_clerk=sum(a.rated_by_clerk for a in applications),
        satisfaction_rate=rate(sum(r >= SATISFIED_FROM for r in ratings), len(ratings)),
        materials_needed=needed,
        materials_brought=brought,
        materials_spared_rate=None if not needed else 1 - brought / needed,
        materials_spared_by_sharing=sum(a.spared_by_sharing for a in applications),
    )


def completed_subtask(
    calendar: WorkingCalendar,
    department: str,
    dispatched_at: datetime,
    completed_at: datetime,
    due_at: datetime | None,
) -> Completed:
    """Working days from dispatch to completion; on time if completed before its deadline
    (a deadline is the end of its last day, an exclusive bound)."""
    try:
        days = calendar.working_days_between(dispatched_at, max(dispatched_at, completed_at))
    except CalendarRangeError:
        days = None
    return Completed(department, days, None if due_at is None else completed_at < due_at)
