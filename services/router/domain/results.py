"""Judging a department's answer (a task result) against the process: pure, no I/O.

An answer is applied (ResultRecorded) only when it answers the sub-task's current filing in a
state that waits for it; any other answer to a filing the application has is kept but ignored
(ResultIgnored, with the reason). An answer that is unreadable, names a sub-task, department
or filing the application never had, or completes a sub-task without the outputs the catalog
declares for it, is no answer to it at all: `NotAnAnswer`.
"""

from __future__ import annotations

from pydantic import ValidationError

from contracts.catalog import Matter, Subtask
from contracts.envelope import Envelope
from contracts.events import (
    FilingCancelled,
    IgnoredBecause,
    ResultIgnored,
    ResultRecorded,
    SubtaskAccepted,
    SubtaskCompleted,
    SubtaskFailed,
    SubtaskRejected,
    SupplementRequested,
)
from contracts.registry import UnexpectedEvent, UnknownEventType, decode
from services.router.domain.process import Process, Status, SubtaskState

TaskResult = (
    SubtaskAccepted
    | SubtaskCompleted
    | SubtaskRejected
    | SupplementRequested
    | SubtaskFailed
    | FilingCancelled
)
_DECISIONS = frozenset(
    {"SubtaskCompleted", "SubtaskRejected", "SupplementRequested", "SubtaskFailed"}
)
# What a filing in each state still waits for; a refusal while cancelling still counts, so
# every department's reason is reported.
_AWAITED: dict[Status, frozenset[str]] = {
    "dispatched": _DECISIONS | {"SubtaskAccepted"},
    "accepted": _DECISIONS,
    "cancelling": frozenset({"FilingCancelled", "SubtaskRejected", "SubtaskFailed"}),
}


class NotAnAnswer(ValueError):
    """A task result this application cannot take: unreadable, or naming a sub-task,
    department or filing key the application does not have. The message says which."""


def judged(process: Process, matter: Matter, answer: Envelope) -> ResultRecorded | ResultIgnored:
    result = _read(answer)
    state = _named(process, answer.event_type, result)
    if isinstance(result, SubtaskCompleted):
        _check_outputs(matter.subtask(state.code), result)
    reason: IgnoredBecause | None = None
    if process.decided:
        reason = "decided"
    elif result.filing_key != state.filing_key:
        reason = "stale"
    elif answer.event_type not in _AWAITED.get(state.status, frozenset()):
        reason = _unawaited(state, answer.event_type)
    if reason is not None:
        return ResultIgnored(result=answer, reason=reason)
    return ResultRecorded(result=answer)


def _read(answer: Envelope) -> TaskResult:
    try:
        result = decode(answer)
    except (UnknownEventType, ValidationError) as exc:
        raise NotAnAnswer(f"{answer.event_type} does not match its schema: {exc}") from exc
    if not isinstance(result, TaskResult):  # the caller passes task results only
        raise UnexpectedEvent(result, "a task result")
    return result


def _check_outputs(subtask: Subtask, result: SubtaskCompleted) -> None:
    """A completion carries every output the catalog declares for its sub-task: later
    sub-tasks' inputs and the certificate's number are taken from them."""
    missing = [o for o in subtask.outputs if result.outputs.get(o) in (None, "")]
    if missing:
        raise NotAnAnswer(
            f"SubtaskCompleted of {subtask.code!r} lacks outputs {', '.join(missing)}"
            f" (the catalog's {subtask.code!r} returns {', '.join(subtask.outputs)})"
        )


def _unawaited(state: SubtaskState, event_type: str) -> IgnoredBecause:
    if state.status == "cancelling":
        return "cancelling"
    if event_type == FilingCancelled.event_type and state.status in ("dispatched", "accepted"):
        return "not-cancelling"
    return "answered"


def _named(process: Process, event_type: str, result: TaskResult) -> SubtaskState:
    """The sub-task the answer names, once its department and filing key are checked."""
    code = result.subtask
    which = f"{event_type} for application {process.application_id} ({process.matter})"
    state = process.subtasks.get(code)
    if state is None:
        have = ", ".join(sorted(process.subtasks))
        raise NotAnAnswer(f"{which} names sub-task {code!r}, which it does not have ({have})")
    if result.department != state.department:
        raise NotAnAnswer(
            f"{which} names department {result.department!r} for sub-task {code!r},"
            f" which is {state.department!r}'s"
        )
    earlier = [f"{process.application_id}:{code}:{n}" for n in range(1, state.round)]
    filed = [*earlier, *([state.filing_key] if state.filing_key else [])]
    if result.filing_key not in filed:
        raise NotAnAnswer(
            f"{which} names filing_key {result.filing_key!r}, which was never dispatched for"
            f" {code!r} (its filings: {', '.join(filed) or 'none yet'})"
        )
    return state
