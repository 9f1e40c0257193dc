"""What the router tells the applicant: one supplement notice, a held result, one outcome
with the application's clock. Pure, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.calendar import CalendarRangeError
from contracts.catalog import Matter
from contracts.catalog.evidence import holders
from contracts.events import (
    Certificate,
    Holder,
    OutcomeDecided,
    Reason,
    ResultHeld,
    SupplementNoticeIssued,
    SupplementRequest,
)
from services.router.domain.deadlines import Timing, worked
from services.router.domain.process import Process, SubtaskState
from services.router.domain.timekeeping import PROMISED, STATUTORY


def notice(
    process: Process, matter: Matter, asking: list[SubtaskState], due_at: datetime | None
) -> SupplementNoticeIssued:
    requests = tuple(
        SupplementRequest(subtask=s.code, department=s.department, materials=s.missing)
        for s in asking
    )
    return SupplementNoticeIssued(
        **to_applicant(process, matter),
        notice_id=notice_id(process),
        requests=requests,
        due_at=due_at,
    )


def notice_id(process: Process) -> str:
    return f"S{process.notices_issued + 1}"


def held(process: Process, matter: Matter) -> ResultHeld:
    assert process.promised_by is not None  # deficiency acceptance needs a promise date
    return ResultHeld(
        **to_applicant(process, matter),
        missing=tuple(sorted(process.owed)),
        promised_by=process.promised_by,
    )


def outcome(process: Process, matter: Matter, timing: Timing) -> OutcomeDecided:
    states = process.subtasks.values()
    outputs = {s.code: s.outputs for s in states if s.status == "completed"}
    certificates = []
    for state in states:
        spec = matter.subtask(state.code).certificate
        if state.status == "completed" and spec and spec.number in state.outputs:
            assert state.completed_at is not None
            certificates.append(
                Certificate(
                    subtask=state.code,
                    department=state.department,
                    title=spec.title,
                    number=str(state.outputs[spec.number]),
                    issued_at=state.completed_at,
                    kind=spec.kind,
                    replaces=spec.replaces,
                    holders=tuple(
                        Holder(id=h.id, name=h.name) for h in holders(spec, process.form, outputs)
                    ),
                )
            )
    reasons = tuple(
        Reason(subtask=s.code, department=s.department, reason=s.reason)
        for s in states
        if s.status in ("rejected", "failed") and s.reason
    )
    return OutcomeDecided(
        **to_applicant(process, matter),
        decision=process.ending or "approved",
        outputs=outputs,
        certificates=tuple(certificates),
        reasons=reasons,
        **_application_clock(process, timing),
    )


def _application_clock(process: Process, timing: Timing) -> dict[str, Any]:
    """The application's clock at the decision. A decision during a supplement pause counts
    up to the pause only: the clocks stood still from then on."""
    promised = process.clocks.kept.get(PROMISED)
    statutory = process.clocks.kept.get(STATUTORY)
    if promised is None:
        return {}
    paused = process.clocks.paused
    end = min(timing.now, paused.paused_from) if paused else timing.now
    try:
        days: float | None = worked(
            timing.calendar, promised.started_at, end, process.clocks.pauses
        )
    except CalendarRangeError:
        days = None
    return {
        "started_at": promised.started_at,
        "promised_due_at": promised.due_at,
        "statutory_due_at": statutory.due_at if statutory else None,
        "working_days": days,
        "on_time": end < promised.due_at,
    }


def to_applicant(process: Process, matter: Matter) -> dict[str, Any]:
    return {
        "matter": matter.code,
        "matter_name": matter.name,
        "receipt_number": process.receipt_number,
        "applicant_name": process.applicant_name,
        "delivery": process.delivery,
    }
