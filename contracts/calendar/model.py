"""The calendar file's shape: frozen models of the working-day calendar operators maintain."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Year = Annotated[int, Field(ge=1900, le=9999)]


def _cutoff(value: Any) -> str:
    # An unquoted 17:00 is read by YAML 1.1 as the sexagesimal integer 1020.
    if isinstance(value, int):
        raise ValueError(f'got the number {value}; quote the time, e.g. cutoff: "17:00"')
    if not isinstance(value, str) or not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        raise ValueError(f"{value!r} is not a time of day HH:MM between 00:00 and 23:59")
    return value


Cutoff = Annotated[
    str,
    BeforeValidator(_cutoff),
    Field(description='daily cut-off, local time, as a quoted "HH:MM" string'),
]


def _calendar_date(value: Any) -> date:
    """A plain date YYYY-MM-DD, as a string or a date; never a datetime or a number."""
    if isinstance(value, datetime) or (isinstance(value, str) and _has_time(value)):
        raise ValueError(f"{value!s} has a time of day; give a plain date YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date YYYY-MM-DD")


def _has_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return ":" in text  # a bare date also parses as a datetime, at midnight


CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Holiday(_Frozen):
    """One public holiday as the State Council arranges it: its days off and make-up days (调休)."""

    name: Text = Field(description="元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节 …")
    days_off: tuple[CalendarDate, ...] = Field(min_length=1, description="every date off")
    make_up_days: tuple[CalendarDate, ...] = Field(
        default=(), description="Saturdays or Sundays that are working days (调休上班)"
    )


class CalendarYear(_Frozen):
    provisional: bool = Field(
        default=False, description="true while the State Council has not published the year"
    )
    notice: Text | None = Field(default=None, description="the notice the dates come from")
    holidays: tuple[Holiday, ...]


class CalendarFile(_Frozen):
    timezone: Text = Field(description="IANA time zone, e.g. Asia/Shanghai")
    cutoff: Cutoff
    years: dict[Year, CalendarYear] = Field(min_length=1)

    @property
    def cutoff_time(self) -> time:
        return time.fromisoformat(self.cutoff)
