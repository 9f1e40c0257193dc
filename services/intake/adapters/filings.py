"""One row per dispatch (filing_key) of a sub-task, moved by the events about that filing.

The state columns (status, outputs, reason) move together, and only to an event newer by
(occurred_at, rank, event_id): an older event never overwrites a newer status, whatever
order events arrive in. The department's receipt is the newest one any event carried; the
deadline is the dispatch's, the completion time the first completion's (for statistics).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contracts.envelope import Envelope
from eventlog.store import Connection
from services.intake.domain.progress import RANK, SubtaskStatus


@dataclass(frozen=True)
class FilingChange:
    subtask: str
    department: str
    filing_key: str
    status: SubtaskStatus
    title: str | None = None
    dispatched: bool = False
    legacy_receipt: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    due_at: datetime | None = None


_NEWER = "(EXCLUDED.status_at, EXCLUDED.status_rank, EXCLUDED.status_event)"
_NEWER += " > (f.status_at, f.status_rank, f.status_event)"
_NEWER_DISPATCH = "EXCLUDED.dispatched_at > f.dispatched_at OR f.dispatched_at IS NULL"
_NEWER_RECEIPT = (
    "EXCLUDED.legacy_receipt IS NOT NULL AND (f.receipt_at IS NULL"
    " OR (EXCLUDED.receipt_at, EXCLUDED.legacy_receipt) > (f.receipt_at, f.legacy_receipt))"
)
_UPSERT = f"""
    INSERT INTO filings AS f (
        application_id, subtask, filing_key, department, title, dispatched_at, status,
        status_at, status_rank, status_event, legacy_receipt, receipt_at, outputs, reason,
        updated_at, due_at, completed_at
    ) VALUES (
        $1, $2, $3, $4, $5, CASE WHEN $6 THEN $8::timestamptz END, $7, $8, $9, $10, $11,
        CASE WHEN $11::text IS NOT NULL THEN $8::timestamptz END, $12::jsonb, $13, $8, $14,
        CASE WHEN $7 = 'completed' THEN $8::timestamptz END
    )
    ON CONFLICT (application_id, subtask, filing_key) DO UPDATE SET
        title = CASE WHEN {_NEWER_DISPATCH} THEN COALESCE(EXCLUDED.title, f.title)
                ELSE f.title END,
        dispatched_at = GREATEST(f.dispatched_at, EXCLUDED.dispatched_at),
        status = CASE WHEN {_NEWER} THEN EXCLUDED.status ELSE f.status END,
        outputs = CASE WHEN {_NEWER} THEN EXCLUDED.outputs ELSE f.outputs END,
        reason = CASE WHEN {_NEWER} THEN EXCLUDED.reason ELSE f.reason END,
        status_at = CASE WHEN {_NEWER} THEN EXCLUDED.status_at ELSE f.status_at END,
        status_rank = CASE WHEN {_NEWER} THEN EXCLUDED.status_rank ELSE f.status_rank END,
        status_event = CASE WHEN {_NEWER} THEN EXCLUDED.status_event ELSE f.status_event END,
        legacy_receipt = CASE WHEN {_NEWER_RECEIPT} THEN EXCLUDED.legacy_receipt
                         ELSE f.legacy_receipt END,
        receipt_at = CASE WHEN {_NEWER_RECEIPT} THEN EXCLUDED.receipt_at ELSE f.receipt_at END,
        updated_at = GREATEST(f.updated_at, EXCLUDED.updated_at),
        due_at = COALESCE(EXCLUDED.due_at, f.due_at),
        completed_at = LEAST(f.completed_at, EXCLUDED.completed_at)
"""


async def record_filing(conn: Connection, envelope: Envelope, change: FilingChange) -> None:
    await conn.execute(
        _UPSERT,
        envelope.application_id,
        change.subtask,
        change.filing_key,
        change.department,
        change.title,
        change.dispatched,
        change.status,
        envelope.occurred_at,
        RANK[change.status],
        envelope.event_id,
        change.legacy_receipt,
        json.dumps(change.outputs, ensure_ascii=False, sort_keys=True),
        change.reason,
        change.due_at,
    )


CURRENT_FILINGS = """
    SELECT DISTINCT ON (subtask) subtask, department, title, status, legacy_receipt, outputs,
           reason, updated_at, dispatched_at, due_at
    FROM filings WHERE application_id = $1 AND dispatched_at IS NOT NULL
    ORDER BY subtask, dispatched_at DESC, filing_key DESC
"""
