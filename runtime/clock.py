"""The time services act on, injected so clocks can be tested without sleeping.

In production `SystemClock`. For tests and rehearsals ONEWINDOW_CLOCK_FILE names a file holding
an ISO-8601 instant with offset; every service reading it sees the same fake "now", which a test
moves forward between steps — also across restarts of the services."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        text = self.path.read_text(encoding="utf-8").strip()
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError(f"{self.path}: {text!r} has no UTC offset")
        return moment.astimezone(UTC)

    def set(self, moment: datetime) -> None:
        self.path.write_text(moment.isoformat(), encoding="utf-8")


SYSTEM_CLOCK = SystemClock()


def clock_from(path: Path | None) -> Clock:
    return FileClock(path) if path else SystemClock()
