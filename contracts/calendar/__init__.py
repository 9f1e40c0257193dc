"""The working-day calendar time limits count in (法定时限 / 承诺时限 are in working days).

`cn-working-days.yaml` next to this file is maintained by operators (docs/calendar.md);
`load_calendar()` checks it whole and returns a `WorkingCalendar`, whose arithmetic is pure.
"""

from contracts.calendar.loading import CALENDAR_FILE, CalendarError, load_calendar
from contracts.calendar.working import CalendarRangeError, WorkingCalendar

__all__ = [
    "CALENDAR_FILE",
    "CalendarError",
    "CalendarRangeError",
    "WorkingCalendar",
    "load_calendar",
]
