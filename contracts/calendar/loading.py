"""Reading the calendar file: parsed, checked as a whole, and only then turned into a calendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from contracts.calendar.model import CalendarFile, CalendarYear
from contracts.calendar.working import WorkingCalendar

CALENDAR_FILE = Path(__file__).parent / "cn-working-days.yaml"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarError(ValueError):
    """The calendar file cannot be used; names the file, the year (if any) and the field."""

    def __init__(self, source: str, year: int | None, field: str, reason: str) -> None:
        self.source, self.year, self.field, self.reason = source, year, field, reason
        where = f"year {year}, " if year is not None else ""
        super().__init__(f"{source}: {where}field {field}: {reason}")


def load_calendar(file: Path | None = None) -> WorkingCalendar:
    """The calendar in `file` (default: the one shipped with contracts), checked whole."""
    path = file or CALENDAR_FILE
    source = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as error:
        raise CalendarError(source, None, "(file)", f"cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise CalendarError(source, None, "(yaml)", f"not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise CalendarError(source, None, "(document)", "must be a mapping of fields")
    try:
        parsed = CalendarFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        year, field = _where(raw, first["loc"])
        cause = first.get("ctx", {}).get("error")
        reason = str(cause) if isinstance(cause, ValueError) else first["msg"]
        raise CalendarError(source, year, field, reason) from None
    return _calendar(parsed, source)


def _calendar(parsed: CalendarFile, source: str) -> WorkingCalendar:
    try:
        zone = ZoneInfo(parsed.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        reason = f"unknown time zone {parsed.timezone!r}; give an IANA name like Asia/Shanghai"
        raise CalendarError(source, None, "timezone", reason) from None
    years = sorted(parsed.years)
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if missing:
        gap = ", ".join(map(str, missing))
        raise CalendarError(source, None, "years", f"must be consecutive; {gap} missing")
    for year in years:
        _check_year(year, parsed.years[year], source)
    chosen = [parsed.years[y] for y in years]
    return WorkingCalendar(
        zone=zone,
        cutoff=parsed.cutoff_time,
        first=date(years[0], 1, 1),
        last=date(years[-1], 12, 31),
        days_off=[d for y in chosen for h in y.holidays for d in h.days_off],
        make_up_days=[d for y in chosen for h in y.holidays for d in h.make_up_days],
        provisional_years=[y for y in years if parsed.years[y].provisional],
    )


def _check_year(year: int, entry: CalendarYear, source: str) -> None:
    def fail(field: str, reason: str) -> CalendarError:
        return CalendarError(source, year, field, reason)

    if not entry.provisional and entry.notice is None:
        raise fail("notice", "a year that is not provisional must cite the notice it comes from")
    names: set[str] = set()
    seen_off: dict[date, str] = {}
    seen_make_up: dict[date, str] = {}
    for holiday in entry.holidays:
        at = f"holidays[{holiday.name}]"
        if holiday.name in names:
            raise fail(f"{at}.name", f"holiday {holiday.name!r} is listed twice")
        names.add(holiday.name)
        for kind, days, seen in (
            ("days_off", holiday.days_off, seen_off),
            ("make_up_days", holiday.make_up_days, seen_make_up),
        ):
            for day in _outside(year, days):
                raise fail(f"{at}.{kind}", f"{day} is not in {year}")
            for day in days:
                if day in seen:
                    raise fail(f"{at}.{kind}", f"duplicate date {day} (also in {seen[day]})")
                seen[day] = f"{at}.{kind}"
        for day in (d for d in holiday.make_up_days if d.weekday() < 5):
            reason = f"{day} is a {WEEKDAYS[day.weekday()]}; a make-up day must be a weekend day"
            raise fail(f"{at}.make_up_days", reason)
    for day in sorted(seen_off.keys() & seen_make_up.keys()):
        reason = f"{day} is both a day off ({seen_off[day]}) and a make-up working day"
        raise fail(seen_make_up[day], reason)


def _outside(year: int, days: Iterable[date]) -> list[date]:
    return [d for d in days if d.year != year]


def _where(raw: Any, loc: tuple[int | str, ...]) -> tuple[int | None, str]:
    """A pydantic location as (year, field), naming holidays by their name: holidays[春节].x."""
    year: int | None = None
    node: Any = raw
    if len(loc) >= 2 and loc[0] == "years":
        key, loc = loc[1], loc[2:]
        year = _as_year(key)
        years = raw.get("years")
        node = years.get(key) if isinstance(years, dict) else None
        if loc == ("[key]",):
            return year, "years"
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("name") if isinstance(item, dict) else None
            parts[-1] += f"[{label if isinstance(label, str) else part}]"
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return year, ".".join(parts) or "years"


def _as_year(key: int | str) -> int | None:
    try:
        return int(key)
    except ValueError:
        return None


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping instead of keeping the last.

    Dates stay strings, so that a date like 2026-13-03 is reported by the model with its field.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for key in {k for k in keys if keys.count(k) > 1}:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
