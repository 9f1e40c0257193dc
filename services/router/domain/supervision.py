"""Electronic supervision (电子监察): which marks of an application's clocks are due, and
what follows from them. Pure, no I/O.

Each (clock, clock_id, limit) has two marks, 80 % (TimeLimitWarned) and 100 %
(TimeLimitExceeded); a mark is due once `now` reaches it while the clock runs, and it is
recorded once: the state rebuilt from the log says which marks are recorded already.
"""

from __future__ import annotations

from datetime import datetime

from contracts.catalog import Matter
from contracts.envelope import Event
from contracts.events import TimeLimitExceeded, TimeLimitWarned
from services.router.domain.clocks import TimeLimit
from services.router.domain.deadlines import Timing
from services.router.domain.events import SupplementLapsed
from services.router.domain.planning import advance
from services.router.domain.process import SETTLED, Process
from services.router.domain.replay import mutate


def ticking(process: Process, clock: TimeLimit) -> bool:
    """Whether the clock still runs (a supplement pause aside)."""
    if clock.kind == "follow-up":
        follow_up = process.clocks.follow_ups.get(clock.clock_id)
        return follow_up is not None and follow_up.open
    if process.decided:
        return False
    match clock.kind:
        case "subtask":
            subtask = process.subtasks.get(clock.clock_id)
            return subtask is not None and subtask.status not in SETTLED
        case "supplement":
            return process.pending_notice == clock.clock_id
        case "deficiency":
            return bool(process.owed)
    return True


def _pending(process: Process) -> list[tuple[datetime, str, TimeLimit]]:
    return [
        (at, mark, clock)
        for clock in process.clocks.kept.values()
        if ticking(process, clock)
        for at, mark in clock.pending()
        if not process.clocks.holds(clock, at)
    ]


def next_mark(process: Process) -> datetime | None:
    """The earliest instant at which a mark falls due, None when no clock can reach one."""
    return min((at for at, _, _ in _pending(process)), default=None)


def due_marks(process: Process, now: datetime) -> list[Event]:
    """The marks reached by `now` and not yet recorded, in the order they fell due."""
    due = sorted(
        ((at, mark == "exceed", clock) for at, mark, clock in _pending(process) if at <= now),
        key=lambda item: (item[0], item[1]),
    )
    return [_mark(clock, exceeded) for _, exceeded, clock in due]


def _mark(clock: TimeLimit, exceeded: bool) -> Event:
    kind = TimeLimitExceeded if exceeded else TimeLimitWarned
    return kind(
        clock=clock.kind, clock_id=clock.clock_id, limit=clock.limit,
        department=clock.department, limit_days=clock.limit_days,
        started_at=clock.started_at, due_at=clock.due_at,
    )  # fmt: skip


def overdue(process: Process, matter: Matter, timing: Timing) -> list[Event]:
    """Every mark due by `timing.now`; a supplement past its due time lapses the application,
    which then ends as a rejection does (in-flight sub-tasks cancelled first)."""
    events = due_marks(process, timing.now)
    for event in events:
        process = mutate(process, event)
    notice = process.pending_notice
    clock = process.clocks.get("supplement", notice, "own") if notice else None
    if notice and clock and clock.exceeded and not process.ending and not process.decided:
        lapse = SupplementLapsed(notice_id=notice)
        events += [lapse, *advance(mutate(process, lapse), matter, timing)]
    return events
