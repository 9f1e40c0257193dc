"""The answers a topic-consuming department writes to ``onewindow.task-results``, as
docs/legacy-integration.md specifies them (again without ``contracts/``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.legacy_sim.domain.decisions import Completed, Rejected
from services.legacy_sim.domain.ledger import Filing
from services.legacy_sim.protocols.topic_wire import ENVELOPE_HEADERS, TaskEnvelope

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class AnswerRecord:
    key: bytes
    value: bytes
    headers: Headers
    event_id: UUID
    event_type: str


def decision_answer(filing: Filing) -> tuple[str, dict[str, Any]]:
    """The event type and payload that report a filing's decision."""
    common = {
        "subtask": filing.subtask,
        "department": filing.department,
        "filing_key": filing.idempotency_key,
        "legacy_receipt": filing.receipt,
    }
    decision = filing.decision
    if isinstance(decision, Completed):
        return "SubtaskCompleted", {**common, "outputs": dict(decision.outputs)}
    if isinstance(decision, Rejected):
        return "SubtaskRejected", {**common, "reason": decision.reason}
    materials = [{"code": m.code, "name": m.name, "reason": m.reason} for m in decision.materials]
    return "SupplementRequested", {**common, "materials": materials}


def cancelled_answer(
    department: str, subtask: str, filing_key: str, receipt: str | None
) -> tuple[str, dict[str, Any]]:
    """A cancel is always confirmed: a filing never made has nothing left to undo."""
    return "FilingCancelled", {
        "subtask": subtask,
        "department": department,
        "filing_key": filing_key,
        "legacy_receipt": receipt,
        "confirmed": True,
    }


def answer_record(
    task: TaskEnvelope,
    event_type: str,
    payload: dict[str, Any],
    *,
    producer: str,
    event_id: UUID,
    now: datetime,
) -> AnswerRecord:
    """The answer to ``task``: same application and correlation, caused by the task; ``now``
    in UTC."""
    meta = {
        "event_id": str(event_id),
        "event_type": event_type,
        "schema_version": "1",
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "application_id": str(task.application_id),
        "correlation_id": str(task.correlation_id or task.application_id),
        "causation_id": str(task.event_id),
        "traceparent": task.traceparent,
        "producer": producer,
    }
    headers = [
        (name, text.encode()) for name in ENVELOPE_HEADERS if (text := meta[name]) is not None
    ]
    value = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    key = str(task.application_id).encode()
    return AnswerRecord(key, value, headers, event_id, event_type)
