"""Working-day arithmetic for time limits (法定时限 / 承诺时限); pure, no I/O.

Conventions (see docs/calendar.md):
- A filing made on a working day before the cut-off is accepted that day; one made at or after
  the cut-off, or on a day off, is accepted on the next working day (`start_of_count`).
- The day of acceptance is not counted (期间开始的当日不计算在期间内): a limit of N working days
  ends at 24:00 local time of the N-th working day after it (`deadline`).
- Elapsed working time counts each working day as 1, pro rata over its 24 local hours; days off
  count 0 (`working_days_between`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)
MIDNIGHT = time(0)


class CalendarRangeError(LookupError):
    """A date the calendar does not cover: the answer would be a guess, so there is none."""

    def __init__(self, day: date, first: date, last: date, doing: str = "") -> None:
        self.day, self.first, self.last = day, first, last
        context = f" ({doing})" if doing else ""
        super().__init__(
            f"{day.isoformat()} is outside the working-day calendar{context}, which covers "
            f"{first.isoformat()} to {last.isoformat()}; the calendar file needs that year"
        )


class WorkingCalendar:
    """Which days are working days from `first` to `last`, and time limits counted in them."""

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        cutoff: time,
        first: date,
        last: date,
        days_off: Iterable[date],
        make_up_days: Iterable[date],
        provisional_years: Iterable[int] = (),
    ) -> None:
        if first > last:
            raise ValueError(f"empty calendar: first day {first} is after last day {last}")
        off, make_up = frozenset(days_off), frozenset(make_up_days)
        self.zone, self.cutoff, self.first, self.last = zone, cutoff, first, last
        self.provisional_years = frozenset(provisional_years)
        every_day = (first + timedelta(days=i) for i in range((last - first).days + 1))
        # Weekends are off unless they are make-up days; a listed day off wins over a weekday.
        self._working = tuple(
            d for d in every_day if d in make_up or (d.weekday() < 5 and d not in off)
        )
        self._working_set = frozenset(self._working)

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        return day in self._working_set

    def start_of_count(self, moment: datetime) -> date:
        """The working day a filing at `moment` is accepted on: day 0, itself not counted."""
        local = self._local(moment)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.cutoff:
            return day
        return self.add_working_days(day, 1)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (before it when n < 0); `start` itself for n == 0."""
        self._check(start)
        if n == 0:
            return start
        if n > 0:
            index = bisect_right(self._working, start) + n - 1
            if index >= len(self._working):
                doing = f"counting {n} working days after {start.isoformat()}"
                raise CalendarRangeError(self.last + ONE_DAY, self.first, self.last, doing)
        else:
            index = bisect_left(self._working, start) + n
            if index < 0:
                doing = f"counting {-n} working days before {start.isoformat()}"
                raise CalendarRangeError(self.first - ONE_DAY, self.first, self.last, doing)
        return self._working[index]

    def end_of_day(self, day: date) -> datetime:
        """24:00 of `day` in the calendar's zone, i.e. 00:00 of the next day: an exclusive bound."""
        self._check(day)
        return datetime.combine(day + ONE_DAY, MIDNIGHT, tzinfo=self.zone)

    def deadline(self, accepted_at: datetime, working_days: int) -> datetime:
        """The instant a limit of `working_days` runs out; overdue from then on."""
        if working_days < 0:
            raise ValueError(f"a time limit cannot be negative: {working_days} working days")
        day = self.add_working_days(self.start_of_count(accepted_at), working_days)
        return self.end_of_day(day)

    def clock_start(self, accepted_at: datetime) -> datetime:
        """When the limit starts running: the end of the acceptance day (day 0)."""
        return self.end_of_day(self.start_of_count(accepted_at))

    def due_day(self, deadline: datetime) -> date:
        """The last day of a deadline made by `deadline`/`shift` (it ends at 24:00 of that day)."""
        local = self._local(deadline)
        if local.time() != MIDNIGHT:
            raise ValueError(
                f"{deadline.isoformat()} is not a deadline: deadlines are the end of a day, "
                f"00:00 of the next day in {self.zone.key}"
            )
        return local.date() - ONE_DAY

    def shift(self, deadline: datetime, working_days: int) -> datetime:
        """`deadline` moved by `working_days` (later when positive), e.g. for a supplement pause."""
        return self.end_of_day(self.add_working_days(self.due_day(deadline), working_days))

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Working days elapsed from `start` to `end`: each working day 1, pro rata over 24 h."""
        begin, finish = self._local(start), self._local(end)
        if finish < begin:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        total, day = 0.0, begin.date()
        begin, finish = begin.astimezone(UTC), finish.astimezone(UTC)
        while (day_start := self._instant(day)) < finish:
            day_end = self._instant(day + ONE_DAY)
            if self.is_working_day(day):
                covered = min(finish, day_end) - max(begin, day_start)
                whole = day_end - day_start
                total += 1.0 if covered == whole else covered / whole
            day += ONE_DAY
        return total

    def _instant(self, day: date) -> datetime:
        # In UTC so that differences are true elapsed time even where the zone has DST.
        return datetime.combine(day, MIDNIGHT, tzinfo=self.zone).astimezone(UTC)

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment.isoformat()} has no time zone; give an aware datetime")
        return moment.astimezone(self.zone)

    def _check(self, day: date) -> None:
        if isinstance(day, datetime):
            raise TypeError(f"expected a date, got the datetime {day.isoformat()}")
        if not self.first <= day <= self.last:
            raise CalendarRangeError(day, self.first, self.last)
