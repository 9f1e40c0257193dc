"""From an outcome or a supplement notice to the one notice prepared for the applicant."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.events import OutcomeDecided, SupplementNoticeIssued
from services.notifier.domain.canonical import sha256_hex, utc_timestamp
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.result import assemble_result, department_name
from services.notifier.domain.templates import (
    Rendered,
    render_rejection,
    render_result,
    render_supplement,
    render_withdrawal,
)

OUTCOME_KEY = "outcome"


def notice_stream(application_id: UUID, notice_key: str) -> str:
    """One stream per notice; it doubles as the delivery id receivers dedupe by."""
    return f"notice-{application_id}-{notice_key}"


def _heading(
    kind: str, application_id: UUID, o: OutcomeDecided | SupplementNoticeIssued
) -> dict[str, Any]:
    return {
        "kind": kind,
        "application_id": str(application_id),
        "receipt_number": o.receipt_number,
        "matter": o.matter,
        "matter_name": o.matter_name,
        "applicant_name": o.applicant_name,
    }


def _prepared(
    kind: str,
    key: str,
    o: OutcomeDecided | SupplementNoticeIssued,
    rendered: Rendered,
    document: dict[str, Any],
    result_hash: str | None,
) -> NoticePrepared:
    return NoticePrepared.model_validate(
        {
            "kind": kind,
            "notice_key": key,
            "channel": o.delivery.channel,
            "address": o.delivery.address,
            "subject": rendered.subject,
            "text": rendered.sms if o.delivery.channel == "sms" else rendered.body,
            "document": document,
            "result_hash": result_hash,
        }
    )


def outcome_notice(
    application_id: UUID, outcome: OutcomeDecided, decided_at: datetime
) -> NoticePrepared:
    if outcome.decision == "approved":
        result = assemble_result(application_id, outcome, decided_at)
        document = result.document()
        return _prepared(
            "result", OUTCOME_KEY, outcome, render_result(result), document, result.result_hash
        )
    kind = "rejection" if outcome.decision == "rejected" else "withdrawal"
    document = {**_heading(kind, application_id, outcome), "decided_at": utc_timestamp(decided_at)}
    if kind == "rejection":
        document["reasons"] = [
            {
                "department": r.department,
                "department_name": department_name(r.department),
                "subtask": r.subtask,
                "reason": r.reason,
            }
            for r in outcome.reasons
        ]
        rendered = render_rejection(outcome)
    else:
        rendered = render_withdrawal(outcome)
    return _prepared(kind, OUTCOME_KEY, outcome, rendered, document, sha256_hex(document))


def supplement_notice(application_id: UUID, issued: SupplementNoticeIssued) -> NoticePrepared:
    document = {
        **_heading("supplement", application_id, issued),
        "notice_id": issued.notice_id,
        "requests": [
            {
                "department": r.department,
                "department_name": department_name(r.department),
                "subtask": r.subtask,
                "materials": [m.model_dump(mode="json") for m in r.materials],
            }
            for r in issued.requests
        ],
    }
    rendered = render_supplement(issued)
    return _prepared("supplement", issued.notice_id, issued, rendered, document, None)
