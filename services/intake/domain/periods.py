"""Bounds of a period given as a date or a date-time; a date means the whole day (UTC).

Accepted exactly: an RFC 3339 full-date (`2025-01-31`) or date-time with its offset
(`2025-01-31T09:30:00+08:00`, `...Z`, a fraction of a second allowed; no leap second):
`DATE_TIME_PATTERN` and JSON Schema's formats `date` and `date-time`.
Every such value is a meaningful bound, the extremes too: a bound before the first instant a
timestamp can hold is that instant, an end after the last one (9999-12-31, or a late
date-time with a western offset) is no bound at all.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def _parse(text: str) -> datetime | date:
    try:
        if re.match(DATE_PATTERN, text):
            return date.fromisoformat(text)
        if re.match(DATE_TIME_PATTERN, text):
            return datetime.fromisoformat(text.upper())
    except ValueError:
        pass
    raise ValueError(
        f"不是日期或带时区的时间 / {text!r} is not a date (2025-01-31)"
        " or a date-time with its offset (2025-01-31T09:30:00+08:00)"
    )


def representable(moment: datetime) -> datetime | None:
    """`moment` in UTC; EARLIEST if before it; None (no bound) if after LATEST. Comparing
    aware datetimes works on their difference, so it never overflows where converting might."""
    if moment < EARLIEST:
        return EARLIEST
    if moment > LATEST:
        return None
    return moment.astimezone(UTC)


def day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant of local `day` in `zone`, as representable."""
    return representable(datetime.combine(day, time(), zone)) or LATEST


def day_after(day: date, zone: tzinfo) -> datetime | None:
    """The first instant after local `day`: an exclusive end; None past the last day."""
    if day == date.max:
        return None
    return representable(datetime.combine(day + timedelta(days=1), time(), zone))


def period_start(text: str) -> datetime:
    value = _parse(text)
    if isinstance(value, datetime):
        return representable(value) or LATEST
    return day_start(value, UTC)


def period_end(text: str) -> tuple[datetime | None, bool]:
    """The end and whether it is inclusive: a date-time includes itself, a date its whole day;
    None: no end."""
    value = _parse(text)
    if isinstance(value, datetime):
        return representable(value), True
    return day_after(value, UTC), False
