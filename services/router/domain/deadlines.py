"""Time-limit arithmetic on the working-day calendar: where a clock's marks fall, how a
supplement pause moves them, how much working time an application used. Pure, no I/O.

Every function may raise `CalendarRangeError` for a date beyond the calendar; the callers
turn that into a `ClockUnavailable` record instead of a guess (docs/time-limits.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from contracts.calendar import CalendarRangeError, WorkingCalendar
from contracts.events import ClockKind
from services.router.domain.events import ClockStarted, ClockUnavailable, Limit

WARN_SHARE = 0.8  # 电子监察预警 at 80 % of a limit; overdue at 100 %
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Timing:
    """The calendar the router counts in, and the current time of the injected clock."""

    calendar: WorkingCalendar
    now: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "now", self.now.astimezone(UTC))


def start_clock(
    calendar: WorkingCalendar,
    key: tuple[ClockKind, str, Limit],
    days: int,
    accepted_at: datetime,
    department: str | None = None,
) -> ClockStarted | ClockUnavailable:
    """A clock of `days` working days for something accepted at `accepted_at`."""
    try:
        started = calendar.clock_start(accepted_at)
        due = calendar.deadline(accepted_at, days)
        warn = mark_at(calendar, started, due, WARN_SHARE)
    except CalendarRangeError as error:
        return _unavailable(key, error)
    kind, clock_id, limit = key
    return ClockStarted(
        clock=kind, clock_id=clock_id, limit=limit, department=department,
        limit_days=days, started_at=started, warn_at=warn, due_at=due,
    )  # fmt: skip


def start_clock_until(
    calendar: WorkingCalendar, key: tuple[ClockKind, str, Limit], accepted_at: datetime, last: date
) -> ClockStarted | ClockUnavailable:
    """A clock running out at the end of the day `last` (the deficiency promise date)."""
    try:
        started, due = calendar.clock_start(accepted_at), calendar.end_of_day(last)
        if due > started:
            days = max(1, round(calendar.working_days_between(started, due)))
            warn = mark_at(calendar, started, due, WARN_SHARE)
        else:  # promised for the day of acceptance itself: both marks at its end
            days, warn, due = 1, due, due
    except CalendarRangeError as error:
        return _unavailable(key, error)
    kind, clock_id, limit = key
    return ClockStarted(
        clock=kind, clock_id=clock_id, limit=limit, limit_days=days,
        started_at=min(started, due), warn_at=warn, due_at=due,
    )  # fmt: skip


def _unavailable(key: tuple[ClockKind, str, Limit], error: CalendarRangeError) -> ClockUnavailable:
    kind, clock_id, limit = key
    return ClockUnavailable(clock=kind, clock_id=clock_id, limit=limit, reason=str(error))


def mark_at(calendar: WorkingCalendar, start: datetime, end: datetime, share: float) -> datetime:
    """The instant at which `share` of the working time from `start` to `end` has passed
    (working days count pro rata over their 24 hours, days off not at all)."""
    target = share * calendar.working_days_between(start, end)
    start = start.astimezone(UTC)
    if target <= 0:
        return start
    used, day = 0.0, start.astimezone(calendar.zone).date()
    while True:
        day_start, day_end = _midnight(calendar, day), _midnight(calendar, day + ONE_DAY)
        if calendar.is_working_day(day) and day_end > start:
            begin = max(start, day_start)
            portion = (day_end - begin) / (day_end - day_start)
            if used + portion >= target:
                return begin + (target - used) * (day_end - day_start)
            used += portion
        day += ONE_DAY


def shift_instant(calendar: WorkingCalendar, moment: datetime, working_days: int) -> datetime:
    """`moment` moved on by whole working days, keeping its time of day; an instant at
    midnight is the end of the day before (a deadline) and moves as `calendar.shift` does."""
    local = moment.astimezone(calendar.zone)
    if local.time() == time(0):
        return calendar.shift(moment, working_days).astimezone(UTC)
    day = calendar.add_working_days(local.date(), working_days)
    return datetime.combine(day, local.time(), tzinfo=calendar.zone).astimezone(UTC)


def paused_from(calendar: WorkingCalendar, notice_at: datetime) -> datetime:
    """Clocks stop at the end of the (local) day the notice went out: that day counts."""
    return calendar.end_of_day(notice_at.astimezone(calendar.zone).date()).astimezone(UTC)


def resumed(
    calendar: WorkingCalendar, stopped: datetime, accepted_at: datetime
) -> tuple[datetime, int]:
    """When the clocks run again, and the working days the pause took out.

    They run again from the end of the day the supplement counts as received (as for an
    acceptance: the day itself does not count); the pause is every working day after the
    notice's day up to that day, a whole number, by which every later mark moves."""
    restart = calendar.clock_start(accepted_at).astimezone(UTC)
    if restart <= stopped:
        return stopped, 0
    return restart, round(calendar.working_days_between(stopped, restart))


def worked(
    calendar: WorkingCalendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[tuple[datetime, datetime]],
) -> float:
    """Working days from `start` to `end`, less the working time of the pauses within."""
    if end <= start:
        return 0.0
    total = calendar.working_days_between(start, end)
    for stopped, restart in pauses:
        a, b = max(stopped, start), min(restart, end)
        if b > a:
            total -= calendar.working_days_between(a, b)
    return max(0.0, round(total, 6))


def _midnight(calendar: WorkingCalendar, day: date) -> datetime:
    # In UTC, so that differences are elapsed time even where the zone has DST.
    return datetime.combine(day, time(0), tzinfo=calendar.zone).astimezone(UTC)
