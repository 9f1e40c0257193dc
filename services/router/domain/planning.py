"""What the router decides when something happens to an application: pure, no I/O.

`record` turns the incoming fact into the router's record (if it changes anything) and then
`advance` moves the process on: start or resume clocks, dispatch every sub-task whose
prerequisites are done, cancel what is in flight once the application is ending, issue ONE
supplement notice once nothing is in flight any more (pausing the clocks), hold the result
while deficiency-accepted materials are owed, and decide the outcome when nothing is left to
wait for. `Timing` carries the calendar and the injected "now": the one source of time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from contracts.catalog import Matter, resolve_inputs
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    FollowUpClosed,
    FollowUpOpened,
    MaterialsHandedIn,
    ResultRecorded,
    SubtaskAccepted,
    SubtaskCancelled,
    SubtaskDispatched,
    SupplementSubmitted,
)
from contracts.registry import decode
from contracts.topics import TASK_RESULT_TYPES
from services.router.domain.deadlines import Timing
from services.router.domain.events import (
    FollowUpEnded,
    FollowUpTracked,
    MaterialsRecorded,
    ProcessStarted,
    SupplementAccepted,
    WithdrawalRecorded,
)
from services.router.domain.outcome import held, notice, notice_id, outcome
from services.router.domain.process import IN_FLIGHT, Ending, Process, SubtaskState, mutate
from services.router.domain.timekeeping import clock_steps, pause, subtask_clock

CANCEL_REASONS: dict[Ending, str] = {
    "withdrawn": "申请人撤回申请",
    "rejected": "其他部门不予办理，本事项终止",
    "lapsed": "申请人逾期未补正，本事项终止",
}


def started(submitted: ApplicationSubmitted, submitted_at: datetime) -> ProcessStarted:
    return ProcessStarted(
        matter=submitted.matter,
        receipt_number=submitted.receipt_number,
        applicant_name=str(submitted.applicant.get("name") or "申请人"),
        delivery=submitted.delivery,
        form=submitted.form,
        materials=submitted.materials,
        submitted_at=submitted_at,
        deferred_materials=submitted.deferred_materials,
        materials_promised_by=submitted.materials_promised_by,
    )


def record(process: Process, envelope: Envelope) -> Event | None:
    """The router's record of an incoming fact, or None when it changes nothing
    (a duplicate, a stale result of an earlier filing, anything after the outcome but
    follow-ups on the applicant's rating)."""
    if envelope.event_type in (FollowUpOpened.event_type, FollowUpClosed.event_type):
        return _follow_up(process, envelope)
    if process.decided:
        return None
    if envelope.event_type in TASK_RESULT_TYPES:
        return (
            ResultRecorded(result=envelope.model_dump(mode="json"))
            if _current(process, envelope)
            else None
        )
    incoming = decode(envelope)
    if isinstance(incoming, SupplementSubmitted):
        if process.ending or incoming.notice_id != process.pending_notice:
            return None
        return SupplementAccepted(
            notice_id=incoming.notice_id, materials=incoming.materials, form=incoming.form
        )
    if isinstance(incoming, ApplicationWithdrawn) and not process.ending:
        return WithdrawalRecorded(reason=incoming.reason)
    if isinstance(incoming, MaterialsHandedIn) and not process.ending:
        new = sorted(set(incoming.materials) - process.materials)
        return MaterialsRecorded(materials=tuple(new)) if new else None
    return None


def _follow_up(process: Process, envelope: Envelope) -> Event | None:
    incoming = decode(envelope)
    cases = process.clocks.follow_ups
    if isinstance(incoming, FollowUpOpened) and incoming.case_id not in cases:
        return FollowUpTracked(
            case_id=incoming.case_id,
            opened_at=envelope.occurred_at,
            time_limit_days=incoming.time_limit_days,
        )
    if isinstance(incoming, FollowUpClosed) and incoming.case_id in cases:
        return FollowUpEnded(case_id=incoming.case_id) if cases[incoming.case_id].open else None
    return None


def _current(process: Process, envelope: Envelope) -> bool:
    subtask = process.subtasks.get(str(envelope.payload.get("subtask")))
    if subtask is None or subtask.filing_key != envelope.payload.get("filing_key"):
        return False
    if subtask.status == "cancelling":  # a refusal still counts: every reason is reported
        return envelope.event_type in ("FilingCancelled", "SubtaskRejected", "SubtaskFailed")
    if envelope.event_type == SubtaskAccepted.event_type:
        return subtask.status == "dispatched"
    return subtask.status in ("dispatched", "accepted") and envelope.event_type != "FilingCancelled"


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
    ready = [
        s
        for s in matter.subtasks
        if process.subtasks[s.code].status == "waiting"
        and all(process.subtasks[r].status == "completed" for r in s.requires)
    ]
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
        inputs=resolve_inputs(subtask, process.form, outputs),
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


__all__ = ["IN_FLIGHT", "advance", "record", "started"]
