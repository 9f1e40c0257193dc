"""What each sub-task event says about its filing."""

from __future__ import annotations

from contracts.envelope import Event
from contracts.events import (
    FilingCancelled,
    SubtaskAccepted,
    SubtaskCancelled,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskFailed,
    SubtaskRejected,
    SupplementRequested,
)
from services.intake.adapters.filings import FilingChange


def filing_change(event: Event) -> FilingChange:
    match event:
        case SubtaskDispatched():
            return FilingChange(
                event.subtask, event.department, event.filing_key, "dispatched",
                title=event.title, dispatched=True, due_at=event.due_at,
            )  # fmt: skip
        case SubtaskCancelled():
            return FilingChange(
                event.subtask, event.department, event.filing_key, "cancelled",
                reason=event.reason,
            )  # fmt: skip
        case SubtaskAccepted():
            return FilingChange(
                event.subtask, event.department, event.filing_key, "accepted",
                legacy_receipt=event.legacy_receipt,
            )  # fmt: skip
        case SubtaskCompleted():
            return FilingChange(
                event.subtask, event.department, event.filing_key, "completed",
                legacy_receipt=event.legacy_receipt, outputs=dict(event.outputs),
            )  # fmt: skip
        case SubtaskRejected():
            return FilingChange(
                event.subtask, event.department, event.filing_key, "rejected",
                legacy_receipt=event.legacy_receipt, reason=event.reason,
            )  # fmt: skip
        case SupplementRequested():
            wanted = "；".join(f"{m.name}（{m.code}）：{m.reason}" for m in event.materials)
            return FilingChange(
                event.subtask, event.department, event.filing_key, "supplement_requested",
                legacy_receipt=event.legacy_receipt, reason=wanted,
            )  # fmt: skip
        case SubtaskFailed():
            return FilingChange(
                event.subtask, event.department, event.filing_key, "failed", reason=event.error
            )
        case FilingCancelled():
            said = (
                "部门已确认撤销 / confirmed" if event.confirmed else "未能通知部门 / not confirmed"
            )
            return FilingChange(
                event.subtask, event.department, event.filing_key, "cancelled",
                legacy_receipt=event.legacy_receipt, reason=said,
            )  # fmt: skip
    raise TypeError(f"{event.event_type} is not about a filing")
