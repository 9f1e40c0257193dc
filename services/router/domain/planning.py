"""What the router decides when something happens to an application: pure, no I/O.

`decide` records the incoming fact (if it changes anything) and then `advance`s the process:
dispatch every sub-task whose prerequisites are done, cancel what is in flight once the
application is ending, issue ONE supplement notice once nothing is in flight any more, and
decide the outcome when nothing is left to wait for.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.catalog import Matter, resolve_inputs
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    Certificate,
    OutcomeDecided,
    Reason,
    ResultRecorded,
    SubtaskAccepted,
    SubtaskCancelled,
    SubtaskDispatched,
    SupplementNoticeIssued,
    SupplementRequest,
    SupplementSubmitted,
)
from contracts.registry import decode
from contracts.topics import TASK_RESULT_TYPES
from services.router.domain.events import ProcessStarted, SupplementAccepted, WithdrawalRecorded
from services.router.domain.process import IN_FLIGHT, Process, SubtaskState, mutate


def started(submitted: ApplicationSubmitted) -> ProcessStarted:
    return ProcessStarted(
        matter=submitted.matter,
        receipt_number=submitted.receipt_number,
        applicant_name=str(submitted.applicant.get("name") or "申请人"),
        delivery=submitted.delivery,
        form=submitted.form,
        materials=submitted.materials,
    )


def record(process: Process, envelope: Envelope) -> Event | None:
    """The router's record of an incoming fact, or None when it changes nothing
    (a duplicate, a stale result of an earlier filing, anything after the outcome)."""
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


def advance(process: Process, matter: Matter) -> list[Event]:
    """Every event that follows from the state, each applied before the next is chosen."""
    decided: list[Event] = []
    while not process.decided and (step := _next_steps(process, matter)):
        for event in step:
            process = mutate(process, event)
        decided.extend(step)
    return decided


def _next_steps(process: Process, matter: Matter) -> Sequence[Event]:
    if process.ending:
        cancels = [
            _cancel(s, process.ending) for s in process.in_flight() if s.status != "cancelling"
        ]
        return cancels or ([] if process.in_flight() else [_outcome(process, matter)])
    ready = [
        s
        for s in matter.subtasks
        if process.subtasks[s.code].status == "waiting"
        and all(process.subtasks[r].status == "completed" for r in s.requires)
    ]
    if ready:
        return [_dispatch(process, matter, s.code) for s in ready]
    states = process.subtasks.values()
    if all(s.status == "completed" for s in states):
        return [_outcome(process, matter)]
    asking = [s for s in states if s.status == "supplement"]
    if asking and not process.in_flight() and process.pending_notice is None:
        return [_notice(process, matter, asking)]
    return []


def _dispatch(process: Process, matter: Matter, code: str) -> SubtaskDispatched:
    subtask = matter.subtask(code)
    outputs = {c: s.outputs for c, s in process.subtasks.items() if s.status == "completed"}
    at_hand = [m for m in subtask.materials if matter.material(m).spared or m in process.materials]
    return SubtaskDispatched(
        subtask=code,
        department=subtask.department,
        title=subtask.title,
        filing_key=f"{process.application_id}:{code}:{process.subtasks[code].round + 1}",
        inputs=resolve_inputs(subtask, process.form, outputs),
        materials=tuple(at_hand),
        time_limit_days=subtask.time_limit_days,
    )


def _cancel(state: SubtaskState, ending: str) -> SubtaskCancelled:
    assert state.filing_key is not None  # in flight, so dispatched
    reason = "申请人撤回申请" if ending == "withdrawn" else "其他部门不予办理，本事项终止"
    return SubtaskCancelled(
        subtask=state.code, department=state.department, filing_key=state.filing_key, reason=reason
    )


def _notice(process: Process, matter: Matter, asking: list[SubtaskState]) -> SupplementNoticeIssued:
    requests = tuple(
        SupplementRequest(subtask=s.code, department=s.department, materials=s.missing)
        for s in asking
    )
    return SupplementNoticeIssued(
        **_to_applicant(process, matter),
        notice_id=f"S{process.notices_issued + 1}",
        requests=requests,
    )


def _outcome(process: Process, matter: Matter) -> OutcomeDecided:
    states = process.subtasks.values()
    certificates = []
    for state in states:
        spec = matter.subtask(state.code).certificate
        if state.status == "completed" and spec and spec.number in state.outputs:
            assert state.completed_at is not None
            certificates.append(
                Certificate(
                    subtask=state.code, department=state.department, title=spec.title,
                    number=str(state.outputs[spec.number]), issued_at=state.completed_at,
                )
            )  # fmt: skip
    reasons = tuple(
        Reason(subtask=s.code, department=s.department, reason=s.reason)
        for s in states
        if s.status in ("rejected", "failed") and s.reason
    )
    return OutcomeDecided(
        **_to_applicant(process, matter),
        decision=process.ending or "approved",
        outputs={s.code: s.outputs for s in states if s.status == "completed"},
        certificates=tuple(certificates),
        reasons=reasons,
    )


def _to_applicant(process: Process, matter: Matter) -> dict[str, object]:
    return {
        "matter": matter.code,
        "matter_name": matter.name,
        "receipt_number": process.receipt_number,
        "applicant_name": process.applicant_name,
        "delivery": process.delivery,
    }


__all__ = ["IN_FLIGHT", "advance", "record", "started"]
