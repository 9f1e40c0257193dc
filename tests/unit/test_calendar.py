"""The working-day calendar: the shipped file, time-limit arithmetic, and the checks at load."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from contracts.calendar import (
    CALENDAR_FILE,
    CalendarError,
    CalendarRangeError,
    WorkingCalendar,
    load_calendar,
)

CALENDAR = load_calendar()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A moment in Beijing time, e.g. at("2026-09-30 10:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def day(text: str) -> date:
    return date.fromisoformat(text)


def end_of(text: str) -> datetime:
    return datetime.combine(day(text) + timedelta(days=1), time(0), tzinfo=SHANGHAI)


# --- the shipped file -------------------------------------------------------------------------


def test_the_shipped_file_covers_2026_and_a_provisional_2027() -> None:
    assert (CALENDAR.first, CALENDAR.last) == (day("2026-01-01"), day("2027-12-31"))
    assert CALENDAR.zone.key == "Asia/Shanghai"
    assert CALENDAR.cutoff == time(17, 0)
    assert CALENDAR.provisional_years == {2027}


def test_each_year_has_the_working_days_of_its_thirteen_statutory_holidays() -> None:
    for year in (2026, 2027):
        days = [day(f"{year}-01-01") + timedelta(days=i) for i in range(365)]
        # 365 days - 104 weekend days - 13 statutory holidays, make-up days balancing the rest.
        assert sum(CALENDAR.is_working_day(d) for d in days) == 248, year


# --- 2026 National Day and Mid-Autumn, Spring Festival ----------------------------------------


@pytest.mark.parametrize(
    ("when", "working"),
    [
        ("2026-09-20", True),  # Sunday, make-up day for National Day
        ("2026-09-25", False),  # Friday, Mid-Autumn
        ("2026-09-26", False),
        ("2026-09-28", True),
        ("2026-10-01", False),
        ("2026-10-07", False),  # Wednesday, last day of National Day
        ("2026-10-08", True),
        ("2026-10-10", True),  # Saturday, make-up day
        ("2026-10-11", False),  # an ordinary Sunday
        ("2026-02-14", True),  # Saturday, make-up day for Spring Festival
        ("2026-02-23", False),  # Monday, last day of Spring Festival
        ("2026-02-28", True),  # Saturday, make-up day
        ("2026-01-04", True),  # Sunday, make-up day for New Year
        ("2026-03-04", True),  # an ordinary Wednesday
        ("2026-03-07", False),  # an ordinary Saturday
    ],
)
def test_days_off_and_make_up_days_of_2026(when: str, working: bool) -> None:
    assert CALENDAR.is_working_day(day(when)) is working


@pytest.mark.parametrize(
    ("accepted", "limit", "due"),
    [
        # National Day: 10-01..07 off; day 1 is 10-08, day 3 the make-up Saturday 10-10.
        ("2026-09-30 10:00", 3, "2026-10-10"),
        ("2026-09-30 10:00", 4, "2026-10-12"),
        # Mid-Autumn: 09-25..27 off.
        ("2026-09-24 10:00", 1, "2026-09-28"),
        # The make-up Sunday 09-20 is a working day like any other.
        ("2026-09-18 10:00", 1, "2026-09-20"),
        ("2026-09-18 10:00", 2, "2026-09-21"),
        # Spring Festival: the make-up Saturday 02-14 is day 1, then 02-15..23 off.
        ("2026-02-13 10:00", 2, "2026-02-24"),
        ("2026-02-18 10:00", 1, "2026-02-25"),  # filed during the holiday: accepted 02-24
        ("2026-02-27 10:00", 1, "2026-02-28"),
        # A statutory limit of 20 working days across National Day.
        ("2026-09-21 09:00", 20, "2026-10-26"),
    ],
)
def test_deadlines_skip_holidays_and_count_make_up_days(
    accepted: str, limit: int, due: str
) -> None:
    deadline = CALENDAR.deadline(at(accepted), limit)
    assert deadline == end_of(due)
    assert deadline.tzinfo is not None
    assert CALENDAR.due_day(deadline) == day(due)


# --- the cut-off -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "start"),
    [
        (at("2026-03-02 16:59:59"), "2026-03-02"),  # Monday, before the cut-off
        (at("2026-03-02 17:00"), "2026-03-03"),  # at the cut-off: the next working day
        (at("2026-03-02 23:30"), "2026-03-03"),
        (at("2026-03-01 10:00"), "2026-03-02"),  # Sunday
        (at("2026-03-06 17:30"), "2026-03-09"),  # Friday evening: Monday
        (at("2026-09-30 18:00"), "2026-10-08"),  # the eve of National Day
        (at("2026-09-19 10:00"), "2026-09-20"),  # Saturday: the make-up Sunday is next
        # The cut-off is local time, whatever zone the moment is given in.
        (datetime(2026, 3, 2, 8, 59, tzinfo=UTC), "2026-03-02"),  # 16:59 in Beijing
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "2026-03-03"),  # 17:00 in Beijing
        (datetime(2026, 3, 1, 20, 0, tzinfo=UTC), "2026-03-02"),  # Sunday UTC, Monday 04:00
    ],
)
def test_the_count_starts_after_the_cut_off_or_a_day_off(moment: datetime, start: str) -> None:
    assert CALENDAR.start_of_count(moment) == day(start)


def test_a_filing_after_the_cut_off_gets_one_more_day() -> None:
    assert CALENDAR.deadline(at("2026-03-02 16:00"), 1) == end_of("2026-03-03")
    assert CALENDAR.deadline(at("2026-03-02 17:00"), 1) == end_of("2026-03-04")
    assert CALENDAR.deadline(at("2026-03-01 11:00"), 1) == end_of("2026-03-03")  # Sunday


def test_a_limit_of_zero_working_days_ends_with_the_day_of_acceptance() -> None:
    assert CALENDAR.deadline(at("2026-03-02 16:00"), 0) == end_of("2026-03-02")
    assert CALENDAR.deadline(at("2026-03-07 10:00"), 0) == end_of("2026-03-09")


def test_a_deadline_crosses_into_the_next_year() -> None:
    # 12-31 is day 1, 2027-01-01..03 off, then 01-04..07.
    assert CALENDAR.deadline(at("2026-12-30 10:00"), 5) == end_of("2027-01-07")
    assert CALENDAR.start_of_count(at("2026-12-31 17:30")) == day("2027-01-04")


# --- working-day arithmetic -------------------------------------------------------------------


def test_adding_working_days_forwards_and_backwards() -> None:
    assert CALENDAR.add_working_days(day("2026-09-30"), 1) == day("2026-10-08")
    assert CALENDAR.add_working_days(day("2026-10-08"), -1) == day("2026-09-30")
    assert CALENDAR.add_working_days(day("2026-10-03"), 0) == day("2026-10-03")
    assert CALENDAR.add_working_days(day("2026-10-03"), -1) == day("2026-09-30")
    for n in (1, 7, 30):
        there = CALENDAR.add_working_days(day("2026-09-15"), n)
        assert CALENDAR.add_working_days(there, -n) == day("2026-09-15")


def test_a_supplement_pause_shifts_the_deadline_by_working_days() -> None:
    deadline = CALENDAR.deadline(at("2026-09-30 10:00"), 3)  # end of 10-10
    assert CALENDAR.shift(deadline, 2) == end_of("2026-10-13")
    assert CALENDAR.shift(deadline, 0) == deadline
    assert CALENDAR.shift(deadline.astimezone(UTC), 2) == end_of("2026-10-13")
    for accepted in ("2026-02-10 09:00", "2026-09-17 16:00", "2026-12-24 11:00"):
        for k in (1, 4, 9):
            shifted = CALENDAR.shift(CALENDAR.deadline(at(accepted), 2), k)
            assert shifted == CALENDAR.deadline(at(accepted), 2 + k), (accepted, k)


def test_only_a_deadline_can_be_shifted() -> None:
    with pytest.raises(ValueError, match="not a deadline"):
        CALENDAR.shift(at("2026-10-10 17:00"), 1)


def test_elapsed_working_time_counts_working_days_pro_rata() -> None:
    between = CALENDAR.working_days_between
    assert between(at("2026-03-02 00:00"), at("2026-03-02 12:00")) == 0.5
    assert between(at("2026-03-06 12:00"), at("2026-03-09 12:00")) == 1.0  # over a weekend
    assert between(at("2026-09-30 12:00"), at("2026-10-08 12:00")) == 1.0  # over National Day
    assert between(at("2026-10-03 00:00"), at("2026-10-05 00:00")) == 0.0
    assert between(at("2026-09-19 18:00"), at("2026-09-20 06:00")) == 0.25  # make-up Sunday
    assert between(at("2026-03-02 10:00"), at("2026-03-02 10:00")) == 0.0
    assert between(datetime(2026, 3, 1, 16, tzinfo=UTC), at("2026-03-02 06:00")) == 0.25
    with pytest.raises(ValueError, match="before start"):
        between(at("2026-03-03 10:00"), at("2026-03-02 10:00"))


def test_the_limit_is_used_up_exactly_at_the_deadline() -> None:
    accepted = at("2026-01-01 10:00")
    while accepted < at("2026-12-20 00:00"):
        for limit in (1, 5, 20):
            used = CALENDAR.working_days_between(
                CALENDAR.clock_start(accepted), CALENDAR.deadline(accepted, limit)
            )
            assert used == limit, (accepted, limit)
        accepted += timedelta(days=1, hours=1)


def test_times_must_carry_a_zone_and_limits_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        CALENDAR.start_of_count(datetime(2026, 3, 2, 10, 0))
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.deadline(at("2026-03-02 10:00"), -1)
    with pytest.raises(TypeError, match="expected a date"):
        CALENDAR.is_working_day(at("2026-03-02 10:00"))


# --- out of range ------------------------------------------------------------------------------

RANGE = "covers 2026-01-01 to 2027-12-31"


@pytest.mark.parametrize(
    ("attempt", "named"),
    [
        (lambda: CALENDAR.is_working_day(day("2025-12-31")), "2025-12-31"),
        (lambda: CALENDAR.is_working_day(day("2028-01-01")), "2028-01-01"),
        (lambda: CALENDAR.start_of_count(at("2025-12-31 10:00")), "2025-12-31"),
        (lambda: CALENDAR.start_of_count(at("2027-12-31 18:00")), "2028-01-01"),
        (lambda: CALENDAR.deadline(at("2027-12-20 10:00"), 20), "2028-01-01"),
        (lambda: CALENDAR.add_working_days(day("2026-01-06"), -3), "2025-12-31"),
        (lambda: CALENDAR.shift(end_of("2027-12-29"), 5), "2028-01-01"),
        (
            lambda: CALENDAR.working_days_between(at("2025-12-30 10:00"), at("2026-01-05 10:00")),
            "2025-12-30",
        ),
    ],
)
def test_dates_beyond_the_calendar_are_an_error_never_a_guess(
    attempt: Callable[[], object], named: str
) -> None:
    with pytest.raises(CalendarRangeError, match=RANGE) as raised:
        attempt()
    assert named in str(raised.value)
    assert raised.value.day == day(named)


# --- checks at load ----------------------------------------------------------------------------

SHIPPED: dict[str, Any] = yaml.safe_load(CALENDAR_FILE.read_text("utf-8"))


def holiday(data: dict[str, Any], year: int, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(h for h in data["years"][year]["holidays"] if h["name"] == name)
    return found


def load_changed(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> WorkingCalendar:
    data = copy.deepcopy(SHIPPED)
    change(data)
    file = tmp_path / "calendar.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return load_calendar(file)


def test_an_unchanged_copy_loads_the_same_calendar(tmp_path: Path) -> None:
    copied = load_changed(tmp_path, lambda data: None)
    assert copied.add_working_days(day("2026-01-01"), 400) == CALENDAR.add_working_days(
        day("2026-01-01"), 400
    )


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _in_holiday(
    year: int, name: str, field: str, edit: Callable[[list[Any]], None]
) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        entry = holiday(data, year, name)
        entry.setdefault(field, [])
        edit(entry[field])

    return change


INVALID: dict[str, tuple[Callable[[dict[str, Any]], None], int | None, str, str]] = {
    "date outside its year": (
        _in_holiday(2026, "元旦", "days_off", lambda days: days.append(day("2027-01-04"))),
        2026,
        "holidays[元旦].days_off",
        "2027-01-04 is not in 2026",
    ),
    "make-up day on a weekday": (
        _in_holiday(2026, "国庆节", "make_up_days", lambda days: days.append(day("2026-10-09"))),
        2026,
        "holidays[国庆节].make_up_days",
        "2026-10-09 is a Friday",
    ),
    "holiday that is also a make-up day": (
        _in_holiday(2027, "国庆节", "make_up_days", lambda days: days.append(day("2027-10-03"))),
        2027,
        "holidays[国庆节].make_up_days",
        "2027-10-03 is both a day off",
    ),
    "duplicate day off across holidays": (
        _in_holiday(2026, "国庆节", "days_off", lambda days: days.append(day("2026-09-27"))),
        2026,
        "holidays[国庆节].days_off",
        "duplicate date 2026-09-27 (also in holidays[中秋节].days_off)",
    ),
    "duplicate day off within a holiday": (
        _in_holiday(2026, "清明节", "days_off", lambda days: days.append(day("2026-04-05"))),
        2026,
        "holidays[清明节].days_off",
        "duplicate date 2026-04-05 (also in holidays[清明节].days_off)",
    ),
    "duplicate make-up day": (
        _in_holiday(2026, "春节", "make_up_days", lambda days: days.append(day("2026-01-04"))),
        2026,
        "holidays[春节].make_up_days",
        "duplicate date 2026-01-04 (also in holidays[元旦].make_up_days)",
    ),
    "cut-off past midnight": (_set(("cutoff",), "25:00"), None, "cutoff", "'25:00' is not a time"),
    "cut-off in words": (_set(("cutoff",), "5pm"), None, "cutoff", "'5pm' is not a time"),
    "cut-off left unquoted": (_set(("cutoff",), 1020), None, "cutoff", "quote the time"),
    "date with a time": (
        _in_holiday(2026, "元旦", "days_off", lambda days: days.append(at("2026-01-05 00:00"))),
        2026,
        "holidays[元旦].days_off[3]",
        "has a time of day",
    ),
    "date that is no date": (
        _in_holiday(2026, "元旦", "days_off", lambda days: days.append("2026-02-30")),
        2026,
        "holidays[元旦].days_off[3]",
        "'2026-02-30' is not a date",
    ),
    "unknown time zone": (_set(("timezone",), "Asia/Peking"), None, "timezone", "unknown"),
    "a gap between years": (
        _set(("years", 2029), {"provisional": True, "holidays": []}),
        None,
        "years",
        "2028 missing",
    ),
    "holiday listed twice": (
        lambda data: data["years"][2027]["holidays"].append(
            {"name": "端午节", "days_off": [day("2027-06-10")]}
        ),
        2027,
        "holidays[端午节].name",
        "listed twice",
    ),
    "published year without its notice": (
        _set(("years", 2026, "notice"), None),
        2026,
        "notice",
        "must cite the notice",
    ),
    "unknown field": (
        lambda data: holiday(data, 2026, "元旦").update(makeup_days=[day("2026-01-04")]),
        2026,
        "holidays[元旦].makeup_days",
        "Extra inputs are not permitted",
    ),
    "holiday without days off": (
        _in_holiday(2026, "端午节", "days_off", lambda days: days.clear()),
        2026,
        "holidays[端午节].days_off",
        "at least 1 item",
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_a_bad_calendar_file_is_refused_naming_the_year_and_field(
    tmp_path: Path, case: str
) -> None:
    change, year, field, reason = INVALID[case]
    with pytest.raises(CalendarError) as raised:
        load_changed(tmp_path, change)
    error = raised.value
    assert (error.year, error.field) == (year, field)
    assert reason in error.reason
    assert "calendar.yaml" in str(error) and field in str(error)
    if year is not None:
        assert f"year {year}" in str(error)


def test_a_key_given_twice_or_broken_yaml_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "calendar.yaml"
    file.write_text('timezone: Asia/Shanghai\ncutoff: "17:00"\ncutoff: "18:00"\nyears: {}\n')
    with pytest.raises(CalendarError, match="duplicate key 'cutoff'"):
        load_calendar(file)
    file.write_text("timezone: [Asia/Shanghai\n")
    with pytest.raises(CalendarError, match="not valid YAML"):
        load_calendar(file)
    with pytest.raises(CalendarError, match="cannot be read"):
        load_calendar(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("written", "instead", "year", "field", "reason"),
    [
        (
            'cutoff: "17:00"',
            "cutoff: 17:00",
            None,
            "cutoff",
            'quote the time, e.g. cutoff: "17:00"',
        ),
        ("2026-01-03]", "2026-13-03]", 2026, "holidays[元旦].days_off[2]", "is not a date"),
        ("2026-01-03]", "20260103]", 2026, "holidays[元旦].days_off[2]", "is not a date"),
        ("2027-06-09]", "2027-06-09 10:00]", 2027, "holidays[端午节].days_off[0]", "time of day"),
    ],
)
def test_what_operators_mistype_in_the_file_is_named(
    tmp_path: Path, written: str, instead: str, year: int | None, field: str, reason: str
) -> None:
    text = CALENDAR_FILE.read_text("utf-8")
    assert written in text
    file = tmp_path / "cn-working-days.yaml"
    file.write_text(text.replace(written, instead, 1), "utf-8")
    with pytest.raises(CalendarError) as raised:
        load_calendar(file)
    assert (raised.value.year, raised.value.field) == (year, field)
    assert reason in raised.value.reason
