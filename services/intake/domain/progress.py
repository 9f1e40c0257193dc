"""How far an application and its sub-tasks are, from the facts the read model keeps.

A sub-task's filing keeps the state set by its newest event, ordered by (occurred_at, rank,
event_id): the rank puts a decision after an acknowledgement when two events carry the same
time, the event id breaks the last tie. The order events arrive in therefore never matters.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, cast, get_args

ApplicationStatus = Literal[
    "submitted",
    "in_progress",
    "supplement_requested",
    "result_held",
    "approved",
    "rejected",
    "withdrawn",
    "lapsed",
]
SubtaskStatus = Literal[
    "dispatched",
    "accepted",
    "completed",
    "rejected",
    "supplement_requested",
    "failed",
    "cancelled",
]
APPLICATION_STATUSES: tuple[str, ...] = get_args(ApplicationStatus)
CLOSED: frozenset[str] = frozenset({"approved", "rejected", "withdrawn", "lapsed"})

RANK: dict[SubtaskStatus, int] = {
    "dispatched": 0,
    "accepted": 1,
    "supplement_requested": 2,
    "completed": 3,
    "rejected": 3,
    "failed": 3,
    "cancelled": 3,
}


def pending_notice(notice_id: str | None, answered: Collection[str], *, closed: bool) -> str | None:
    """The supplement notice still waiting for the applicant, if any."""
    if notice_id is None or notice_id in answered or closed:
        return None
    return notice_id


def derive_status(
    *,
    decision: str | None,
    withdrawn: bool,
    notice_pending: bool,
    dispatched: bool,
    held: bool = False,
) -> ApplicationStatus:
    """`held`: every department is done, the one result waits for deferred materials."""
    if decision in ("approved", "rejected", "lapsed"):
        return cast(ApplicationStatus, decision)
    if decision == "withdrawn" or withdrawn:
        return "withdrawn"
    if held:
        return "result_held"
    if notice_pending:
        return "supplement_requested"
    return "in_progress" if dispatched else "submitted"
