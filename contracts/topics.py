"""Topic names, and which topic an event is published to. Partition key: application_id."""

from __future__ import annotations

from contracts.envelope import Envelope

APPLICATIONS = "onewindow.applications"
TASK_RESULTS = "onewindow.task-results"
OUTCOMES = "onewindow.outcomes"
PROGRESS = "onewindow.progress"
NOTIFICATIONS = "onewindow.notifications"
SUPERVISION = "onewindow.supervision"
LOOKUPS = "onewindow.lookups"
LOOKUP_RESULTS = "onewindow.lookup-results"
DEAD_LETTER = "onewindow.dead-letter"
# Every service's signed checkpoints of its event log (contracts/checkpoint.py); key: the log.
CHECKPOINTS = "onewindow.checkpoints"
TASKS_PREFIX = "onewindow.tasks."


def tasks_topic(department: str) -> str:
    return TASKS_PREFIX + department


TASK_RESULT_TYPES = frozenset(
    {
        "SubtaskAccepted",
        "SubtaskCompleted",
        "SubtaskRejected",
        "SupplementRequested",
        "SubtaskFailed",
        "FilingCancelled",
    }
)
_BY_EVENT_TYPE = {
    **dict.fromkeys(
        [
            "ApplicationSubmitted",
            "SupplementSubmitted",
            "ApplicationWithdrawn",
            "MaterialsHandedIn",
            "ResultCollected",
            "ApplicationEvaluated",
            "FollowUpOpened",
            "FollowUpClosed",
        ],
        APPLICATIONS,
    ),
    **dict.fromkeys(TASK_RESULT_TYPES, TASK_RESULTS),
    **dict.fromkeys(["SupplementNoticeIssued", "ResultHeld", "OutcomeDecided"], OUTCOMES),
    "ResultRecorded": PROGRESS,
    "EvidenceChecked": PROGRESS,
    "RegisterLookupRequested": LOOKUPS,
    "RegisterLookupAnswered": LOOKUP_RESULTS,
    **dict.fromkeys(["TimeLimitWarned", "TimeLimitExceeded"], SUPERVISION),
    **dict.fromkeys(["NoticeDelivered", "NoticeDeliveryFailed"], NOTIFICATIONS),
}
TO_DEPARTMENTS = frozenset({"SubtaskDispatched", "SubtaskCancelled"})


def topic_for(envelope: Envelope) -> str | None:
    """The topic an event goes to, or None for an event private to its service's log."""
    if envelope.event_type in TO_DEPARTMENTS:
        return tasks_topic(str(envelope.payload["department"]))
    return _BY_EVENT_TYPE.get(envelope.event_type)
