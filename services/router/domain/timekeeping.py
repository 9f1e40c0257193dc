"""Which clocks the router starts, pauses and resumes as an application moves: the steps
`advance` takes for time limits. Pure, no I/O; every instant comes from `Timing`."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.calendar import CalendarRangeError
from contracts.catalog import Matter
from contracts.envelope import Event
from services.router.domain.clocks import ClockKey, TimeLimit
from services.router.domain.deadlines import (
    Timing,
    paused_from,
    resumed,
    shift_instant,
    start_clock,
    start_clock_until,
)
from services.router.domain.events import (
    ClocksPaused,
    ClocksResumed,
    ClockStarted,
    ClockUnavailable,
    MarksMoved,
)
from services.router.domain.process import SETTLED, Process

PROMISED: ClockKey = ("application", "application", "promised")
STATUTORY: ClockKey = ("application", "application", "statutory")
DEFICIENCY: ClockKey = ("deficiency", "deficiency", "own")


def clock_steps(process: Process, matter: Matter, timing: Timing) -> Sequence[Event]:
    """Clocks to start (the application's, the deficiency's, follow-ups') or to resume."""
    if not process.decided:
        steps = _application_clocks(process, matter, timing)
        if steps:
            return steps
    for case_id, follow_up in process.clocks.follow_ups.items():
        key: ClockKey = ("follow-up", case_id, "own")
        if follow_up.open and not process.clocks.known(key):
            days, opened = follow_up.time_limit_days, follow_up.opened_at
            return [start_clock(timing.calendar, key, days, opened)]
    if process.clocks.paused and process.pending_notice is None and not process.decided:
        return _resume(process, timing)
    return []


def _application_clocks(process: Process, matter: Matter, timing: Timing) -> list[Event]:
    at, known = process.submitted_at, process.clocks.known
    if at is None:  # a process from before clocks were kept
        return []
    limits = ((PROMISED, matter.promised_days), (STATUTORY, matter.statutory_days))
    started: list[Event] = [
        start_clock(timing.calendar, key, days, at) for key, days in limits if not known(key)
    ]
    if not started and process.owed and process.promised_by and not known(DEFICIENCY):
        started.append(start_clock_until(timing.calendar, DEFICIENCY, at, process.promised_by))
    return started


def subtask_clock(
    process: Process, code: str, days: int, department: str, timing: Timing
) -> tuple[list[Event], TimeLimit | None]:
    """The sub-task's clock, started at its first dispatch and kept across re-dispatches."""
    key: ClockKey = ("subtask", code, "own")
    if process.clocks.known(key):
        return [], process.clocks.kept.get(key)
    started = start_clock(timing.calendar, key, days, timing.now, department)
    return [started], _as_limit(started)


def pause(
    process: Process, notice_id: str, days: int, timing: Timing
) -> tuple[list[Event], TimeLimit | None]:
    """The clocks stop for a supplement notice, and the notice's own clock starts."""
    events: list[Event] = []
    try:
        stop = paused_from(timing.calendar, timing.now)
        events.append(ClocksPaused(notice_id=notice_id, at=timing.now, paused_from=stop))
    except CalendarRangeError as error:  # clocks that cannot stop cannot be moved either
        events += _unavailable(_held(process), str(error))
    own = start_clock(timing.calendar, ("supplement", notice_id, "own"), days, timing.now)
    return [*events, own], _as_limit(own)


def _resume(process: Process, timing: Timing) -> list[Event]:
    paused = process.clocks.paused
    assert paused is not None
    stopped, lost = paused.paused_from, []
    try:
        restart, days = resumed(timing.calendar, stopped, timing.now)
    except CalendarRangeError as error:
        restart, days, lost = stopped, 0, _unavailable(_held(process), str(error))
    moved: list[MarksMoved] = []
    for clock in _held(process) if days else []:
        try:
            warn, due = (
                shift_instant(timing.calendar, mark, days) if mark >= stopped else mark
                for mark in (clock.warn_at, clock.due_at)
            )
        except CalendarRangeError as error:
            lost += _unavailable([clock], str(error))
            continue
        moved.append(
            MarksMoved(
                clock=clock.kind,
                clock_id=clock.clock_id,
                limit=clock.limit,
                warn_at=warn,
                due_at=due,
            )
        )
    resume = ClocksResumed(
        notice_id=paused.notice_id, at=timing.now, resumed_from=restart,
        paused_days=days, moved=tuple(moved),
    )  # fmt: skip
    return [resume, *lost]


def _held(process: Process) -> list[TimeLimit]:
    """The clocks a supplement pause holds: the application's, and its unsettled sub-tasks'."""
    return [
        c
        for c in process.clocks.kept.values()
        if c.kind == "application"
        or (c.kind == "subtask" and process.subtasks[c.clock_id].status not in SETTLED)
    ]


def _as_limit(started: ClockStarted | ClockUnavailable) -> TimeLimit | None:
    if isinstance(started, ClockUnavailable):
        return None
    return TimeLimit(
        started.clock, started.clock_id, started.limit, started.department,
        started.limit_days, started.started_at, started.warn_at, started.due_at,
    )  # fmt: skip


def _unavailable(clocks: Sequence[TimeLimit], reason: str) -> list[Event]:
    return [
        ClockUnavailable(clock=c.kind, clock_id=c.clock_id, limit=c.limit, reason=reason)
        for c in clocks
    ]
