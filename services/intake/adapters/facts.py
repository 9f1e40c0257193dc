"""What the application-level events say: each sets its columns only over older facts."""

from __future__ import annotations

import json
from typing import Any

from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    NoticeDelivered,
    NoticeDeliveryFailed,
    OutcomeDecided,
    SupplementNoticeIssued,
    SupplementSubmitted,
)
from contracts.registry import narrow
from eventlog.store import Connection
from services.intake.adapters.visits import add_brought, record_visit
from services.intake.domain.timeline import notice_detail


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


async def submitted(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, ApplicationSubmitted)
    await conn.execute(
        "UPDATE applications SET matter = $2, client_id = $3, channel = $4,"
        " receipt_number = $5, applicant_name = $6, submitted_at = $7, collection = $8,"
        " deferred_materials = $9, materials_promised_by = $10"
        " WHERE application_id = $1 AND submitted_at IS NULL",
        envelope.application_id, event.matter, event.client, event.channel,
        event.receipt_number, str(event.applicant.get("name", "")), envelope.occurred_at,
        event.collection, list(event.deferred_materials), event.materials_promised_by,
    )  # fmt: skip
    await add_brought(conn, envelope, event.materials)
    if event.in_person:
        await record_visit(conn, envelope, "submission")


async def supplemented(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, SupplementSubmitted)
    await conn.execute(
        "UPDATE applications SET answered_notices = ARRAY("
        " SELECT DISTINCT n FROM unnest(answered_notices || $2::text) AS n ORDER BY n)"
        " WHERE application_id = $1",
        envelope.application_id,
        event.notice_id,
    )
    await add_brought(conn, envelope, event.materials)
    if event.in_person:
        await record_visit(conn, envelope, "supplement")


async def withdrawn(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, ApplicationWithdrawn)
    await conn.execute(
        "UPDATE applications SET withdrawn_at = $2, withdrawal_reason = $3"
        " WHERE application_id = $1 AND (withdrawn_at IS NULL OR withdrawn_at > $2)",
        envelope.application_id,
        envelope.occurred_at,
        event.reason,
    )


async def notice_issued(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, SupplementNoticeIssued)
    requests = [r.model_dump(mode="json") for r in event.requests]
    await conn.execute(
        "UPDATE applications SET notice_id = $2, notice_requests = $3::jsonb,"
        " notice_issued_at = $4, notice_due_at = $5 WHERE application_id = $1"
        " AND (notice_issued_at IS NULL OR (notice_issued_at, notice_id) < ($4, $2))",
        envelope.application_id,
        event.notice_id,
        _json(requests),
        envelope.occurred_at,
        event.due_at,
    )


async def decided(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, OutcomeDecided)
    outcome = {**event.model_dump(mode="json"), "event_id": str(envelope.event_id)}
    await conn.execute(
        "UPDATE applications SET outcome = $2::jsonb, outcome_at = $3"
        " WHERE application_id = $1 AND (outcome_at IS NULL"
        " OR (outcome_at, outcome->>'event_id') < ($3, $4))",
        envelope.application_id,
        _json(outcome),
        envelope.occurred_at,
        str(envelope.event_id),
    )


async def noticed(conn: Connection, envelope: Envelope, event: Event) -> None:
    event = narrow(event, NoticeDelivered, NoticeDeliveryFailed)
    delivered = isinstance(event, NoticeDelivered)
    detail = notice_detail(event)
    await conn.execute(
        "INSERT INTO notices (event_id, application_id, notice, notice_key, status, channel,"
        " recipient, attempts, detail, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
        " $9, $10) ON CONFLICT DO NOTHING",
        envelope.event_id, envelope.application_id, event.notice, event.notice_key,
        "delivered" if delivered else "failed", event.channel, event.recipient,
        event.attempts, detail, envelope.occurred_at,
    )  # fmt: skip
