"""From an outcome, a supplement notice or a held result to the one notice prepared for
the applicant."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from contracts.certificates import sha256_hex, utc_timestamp
from contracts.departments import department_name
from contracts.events import Delivery, OutcomeDecided, ResultHeld, SupplementNoticeIssued
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.reminder_templates import render_held
from services.notifier.domain.result import assemble_result
from services.notifier.domain.templates import (
    About,
    Rendered,
    render_lapse,
    render_rejection,
    render_result,
    render_supplement,
    render_withdrawal,
)

OUTCOME_KEY = "outcome"
HELD_KEY = "held"
_KIND = {"rejected": "rejection", "withdrawn": "withdrawal", "lapsed": "lapse"}
_RENDER = {"rejection": render_rejection, "withdrawal": render_withdrawal, "lapse": render_lapse}


class Addressed(About, Protocol):
    """An application as a notice to its applicant needs it."""

    @property
    def matter(self) -> str: ...
    @property
    def delivery(self) -> Delivery: ...


def notice_stream(application_id: UUID, notice_key: str) -> str:
    """One stream per notice; it doubles as the delivery id receivers dedupe by."""
    return f"notice-{application_id}-{notice_key}"


def heading(kind: str, application_id: UUID, o: Addressed) -> dict[str, Any]:
    return {
        "kind": kind,
        "application_id": str(application_id),
        "receipt_number": o.receipt_number,
        "matter": o.matter,
        "matter_name": o.matter_name,
        "applicant_name": o.applicant_name,
    }


def prepared_for(
    kind: str,
    key: str,
    o: Addressed,
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
        return prepared_for(
            "result", OUTCOME_KEY, outcome, render_result(result), document, result.result_hash
        )
    kind = _KIND[outcome.decision]
    document = {**heading(kind, application_id, outcome), "decided_at": utc_timestamp(decided_at)}
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
    rendered = _RENDER[kind](outcome)
    return prepared_for(kind, OUTCOME_KEY, outcome, rendered, document, sha256_hex(document))


def supplement_notice(application_id: UUID, issued: SupplementNoticeIssued) -> NoticePrepared:
    document = {
        **heading("supplement", application_id, issued),
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
    return prepared_for("supplement", issued.notice_id, issued, rendered, document, None)


def held_notice(
    application_id: UUID, held: ResultHeld, owed: list[str], held_at: datetime
) -> NoticePrepared:
    """`owed`: the Chinese names of `held.missing`, in its order."""
    document = {
        **heading("held", application_id, held),
        "held_at": utc_timestamp(held_at),
        "missing": [{"code": c, "name": n} for c, n in zip(held.missing, owed, strict=True)],
        "promised_by": held.promised_by.isoformat(),
    }
    rendered = render_held(held, owed, held.promised_by)
    return prepared_for("held", HELD_KEY, held, rendered, document, None)
