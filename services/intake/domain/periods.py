"""Bounds of a period given as an ISO date or date-time; a date means the whole day (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def _parse(text: str) -> datetime | date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else _aware(text)
    except ValueError:
        raise ValueError(
            f"不是 ISO 日期或时间 / {text!r} is not an ISO date (2025-01-31)"
            " or date-time (2025-01-31T09:30:00+08:00)"
        ) from None


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def period_start(text: str) -> datetime:
    value = _parse(text)
    return value if isinstance(value, datetime) else datetime.combine(value, time(), UTC)


def period_end(text: str) -> tuple[datetime, bool]:
    """The end and whether it is inclusive: a date-time includes itself, a date its whole day."""
    value = _parse(text)
    if isinstance(value, datetime):
        return value, True
    return datetime.combine(value + timedelta(days=1), time(), UTC), False
