"""The clocks of one application as its log tells them: what each limit is, which of its
marks are recorded, and whether a supplement pause holds them. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from contracts.envelope import Event
from contracts.events import ClockKind, TimeLimitExceeded, TimeLimitWarned
from services.router.domain.events import (
    ClocksPaused,
    ClocksResumed,
    ClockStarted,
    ClockUnavailable,
    FollowUpEnded,
    FollowUpTracked,
    Limit,
)

ClockKey = tuple[ClockKind, str, Limit]
PAUSABLE: frozenset[ClockKind] = frozenset({"application", "subtask"})
CLOCK_EVENTS = (
    ClockStarted, ClockUnavailable, TimeLimitWarned, TimeLimitExceeded,
    ClocksPaused, ClocksResumed, FollowUpTracked, FollowUpEnded,
)  # fmt: skip


@dataclass(frozen=True)
class TimeLimit:
    kind: ClockKind
    clock_id: str
    limit: Limit
    department: str | None
    limit_days: int
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    warned: bool = False
    exceeded: bool = False

    @property
    def key(self) -> ClockKey:
        return (self.kind, self.clock_id, self.limit)

    def pending(self) -> list[tuple[datetime, str]]:
        """The marks not yet recorded, as (instant, "warn" | "exceed")."""
        marks = [] if self.warned else [(self.warn_at, "warn")]
        return marks + ([] if self.exceeded else [(self.due_at, "exceed")])


@dataclass(frozen=True)
class Pause:
    notice_id: str
    paused_from: datetime


@dataclass(frozen=True)
class FollowUp:
    opened_at: datetime
    time_limit_days: int
    open: bool = True


@dataclass(frozen=True)
class Clocks:
    kept: dict[ClockKey, TimeLimit] = field(default_factory=dict)
    unavailable: frozenset[ClockKey] = frozenset()
    paused: Pause | None = None
    pauses: tuple[tuple[datetime, datetime], ...] = ()  # (paused_from, resumed_from), done
    follow_ups: dict[str, FollowUp] = field(default_factory=dict)

    def known(self, key: ClockKey) -> bool:
        """Started, or found impossible to count: either way, not to be started again."""
        return key in self.kept or key in self.unavailable

    def get(self, kind: ClockKind, clock_id: str, limit: Limit) -> TimeLimit | None:
        return self.kept.get((kind, clock_id, limit))

    def holds(self, clock: TimeLimit, mark: datetime) -> bool:
        """Whether the pause in force keeps `clock` from reaching `mark`."""
        return (
            self.paused is not None and clock.kind in PAUSABLE and mark >= self.paused.paused_from
        )

    def apply(self, event: Event) -> Clocks:
        match event:
            case ClockStarted():
                clock = TimeLimit(
                    event.clock, event.clock_id, event.limit, event.department,
                    event.limit_days, event.started_at, event.warn_at, event.due_at,
                )  # fmt: skip
                return replace(self, kept={**self.kept, clock.key: clock})
            case ClockUnavailable():
                key = _key(event)
                kept = {k: c for k, c in self.kept.items() if k != key}
                return replace(self, kept=kept, unavailable=self.unavailable | {key})
            case TimeLimitWarned():
                return self._mark(_key(event), exceeded=False)
            case TimeLimitExceeded():
                return self._mark(_key(event), exceeded=True)
            case ClocksPaused():
                return replace(self, paused=Pause(event.notice_id, event.paused_from))
            case ClocksResumed():
                return self._resumed(event)
            case FollowUpTracked():
                follow_up = FollowUp(event.opened_at, event.time_limit_days)
                return replace(self, follow_ups={**self.follow_ups, event.case_id: follow_up})
            case FollowUpEnded():
                ended = replace(self.follow_ups[event.case_id], open=False)
                return replace(self, follow_ups={**self.follow_ups, event.case_id: ended})
        return self

    def _mark(self, key: ClockKey, *, exceeded: bool) -> Clocks:
        clock = self.kept.get(key)
        if clock is None:
            return self
        marked = replace(clock, exceeded=True) if exceeded else replace(clock, warned=True)
        return replace(self, kept={**self.kept, key: marked})

    def _resumed(self, event: ClocksResumed) -> Clocks:
        kept = dict(self.kept)
        for moved in event.moved:
            key = (moved.clock, moved.clock_id, moved.limit)
            kept[key] = replace(kept[key], warn_at=moved.warn_at, due_at=moved.due_at)
        stopped = self.paused.paused_from if self.paused else event.resumed_from
        return replace(
            self, kept=kept, paused=None, pauses=(*self.pauses, (stopped, event.resumed_from))
        )


def _key(event: ClockUnavailable | TimeLimitWarned | TimeLimitExceeded) -> ClockKey:
    return (event.clock, event.clock_id, event.limit)
