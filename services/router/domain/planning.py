"""What the router decides once it has recorded what happened to an application: pure, no I/O.

`advance` moves the process on after `record` (recording.py): start or resume clocks, obtain
and check the evidence the sub-tasks still to run need (evidence.py), dispatch every sub-task
whose prerequisites are done, cancel what is in flight once the application is
ending, issue ONE supplement notice once nothing is in flight any more (pausing the clocks), hold
the result while deficiency-accepted materials are owed, and decide the outcome when nothing is
left to wait for. `Timing` carries the calendar and the injected "now": the one source of time.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.catalog import Matter, resolve_inputs
from contracts.envelope import Envelope, Event
from contracts.events import ResultIgnored, SubtaskCancelled, SubtaskDispatched
from services.router.domain.deadlines import Timing
from services.router.domain.evidence import clear, evidence_steps, shared_values
from services.router.domain.outcome import held, notice, notice_id, outcome
from services.router.domain.process import Ending, Process, SubtaskState
from services.router.domain.recording import Library, record
from services.router.domain.replay import mutate
from services.router.domain.timekeeping import clock_steps, pause, subtask_clock

CANCEL_REASONS: dict[Ending, str] = {
    "withdrawn": "申请人撤回申请",
    "rejected": "其他部门不予办理，本事项终止",
    "lapsed": "申请人逾期未补正，本事项终止",
}


def decide_on(
    process: Process, matter: Matter, incoming: Envelope, timing: Timing, library: Library = ()
) -> list[Event]:
    """The router's record of an incoming fact and every event that follows from it; an
    answer it ignores is recorded and decides nothing. Raises NotAnAnswer (results.py).
    `library`: the e-certificates held for the holders an incoming supplement names."""
    fact = record(process, matter, incoming, library)
    if fact is None:
        return []
    if isinstance(fact, ResultIgnored):
        return [fact]
    return [fact, *advance(mutate(process, fact), matter, timing)]


def advance(process: Process, matter: Matter, timing: Timing) -> list[Event]:
    """Every event that follows from the state, each applied before the next is chosen."""
    decided: list[Event] = []
    while step := _next_steps(process, matter, timing):
        for event in step:
            process = mutate(process, event)
        decided.extend(step)
    return decided


def _next_steps(process: Process, matter: Matter, timing: Timing) -> Sequence[Event]:
    clocks = clock_steps(process, matter, timing)
    if clocks or process.decided:
        return clocks
    if process.ending:
        cancels = [
            _cancel(s, process.ending) for s in process.in_flight() if s.status != "cancelling"
        ]
        return cancels or ([] if process.in_flight() else [outcome(process, matter, timing)])
    gathering = evidence_steps(process, matter)
    if gathering:
        return gathering
    ready = [
        s
        for s in matter.subtasks
        if process.subtasks[s.code].status == "waiting"
        and all(process.subtasks[r].status == "completed" for r in s.requires)
    ]
    if not clear(process, matter):
        ready = []
    if ready:
        return [e for s in ready for e in _dispatch(process, matter, s.code, timing)]
    states = process.subtasks.values()
    if all(s.status == "completed" for s in states):
        if process.owed:
            return [] if process.held else [held(process, matter)]
        return [outcome(process, matter, timing)]
    asking = [s for s in states if s.status == "supplement"]
    if asking and not process.in_flight() and process.pending_notice is None:
        paused, clock = pause(process, notice_id(process), matter.supplement_days, timing)
        return [*paused, notice(process, matter, asking, clock.due_at if clock else None)]
    return []


def _dispatch(process: Process, matter: Matter, code: str, timing: Timing) -> list[Event]:
    subtask = matter.subtask(code)
    started, clock = subtask_clock(
        process, code, subtask.time_limit_days, subtask.department, timing
    )
    outputs = {c: s.outputs for c, s in process.subtasks.items() if s.status == "completed"}
    owed = process.owed  # deficiency-accepted (容缺): the department proceeds without them
    at_hand = [
        m
        for m in subtask.materials
        if matter.material(m).spared or m in process.materials or m in owed
    ]
    dispatched = SubtaskDispatched(
        subtask=code,
        department=subtask.department,
        title=subtask.title,
        filing_key=f"{process.application_id}:{code}:{process.subtasks[code].round + 1}",
        inputs=resolve_inputs(subtask, process.form, outputs, shared_values(process, matter, code)),
        materials=tuple(at_hand),
        time_limit_days=subtask.time_limit_days,
        due_at=clock.due_at if clock else None,
        deferred_materials=tuple(m for m in subtask.materials if m in owed),
    )
    return [*started, dispatched]


def _cancel(state: SubtaskState, ending: Ending) -> SubtaskCancelled:
    assert state.filing_key is not None  # in flight, so dispatched
    return SubtaskCancelled(
        subtask=state.code,
        department=state.department,
        filing_key=state.filing_key,
        reason=CANCEL_REASONS[ending],
    )


__all__ = ["advance", "decide_on"]
