"""The ledger of access to an application's personal data (个人信息保护): what the logs tell
(register lookups, certificates taken from the library), projected; and the reads of hall
staff and of the ops console, recorded by intake as they happen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.envelope import Envelope, Event
from contracts.events import EvidenceChecked, RegisterLookupAnswered
from contracts.registry import narrow
from eventlog.store import Connection
from services.intake.adapters.visits import sorted_union
from services.intake.domain.masking import mask_key
from services.intake.domain.views import DataAccess

LOOKUP_BY = "dept_adapter（数据共享平台）"
LIBRARY_BY = "router（电子证照库）"
_ACCESS = """
    INSERT INTO data_access (event_id, seq, application_id, occurred_at, source, accessor,
                             what, fields, records, purpose, outcome)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING
"""
_READS = """
    INSERT INTO data_reads (application_id, read_at, reader_kind, reader, view, screen)
    SELECT unnest($1::uuid[]), $2, $3, $4, $5, $6
"""
_LEDGER = """
    SELECT occurred_at AS at, source, accessor AS who, what, fields, records, purpose AS why,
           outcome, event_id::text AS tie
    FROM data_access WHERE application_id = $1
    UNION ALL
    SELECT read_at, reader_kind, reader, view, '{}', '{}', screen, NULL, read_id::text
    FROM data_reads WHERE application_id = $1
    ORDER BY at, tie
"""


async def lookup_answered(conn: Connection, envelope: Envelope, event: Event) -> None:
    """One line per register asked: which records, which fields came back, why."""
    event = narrow(event, RegisterLookupAnswered)
    for seq, answer in enumerate(event.answers):
        found = [r for r in answer.records if r.found]
        fields = sorted({name for r in found for name in r.record})
        if answer.available:
            outcome = f"查得 {len(found)}/{len(answer.records)} / found {len(found)} of"
            outcome += f" {len(answer.records)}"
        else:
            outcome = f"不可用 / unavailable: {answer.error or ''}".strip()
        await conn.execute(
            _ACCESS, envelope.event_id, seq, envelope.application_id, envelope.occurred_at,
            "register", LOOKUP_BY, answer.dataset, fields,
            [mask_key(r.key) for r in answer.records],
            f"{event.matter}: {', '.join(answer.subtasks)} ({', '.join(answer.materials)})",
            outcome,
        )  # fmt: skip


async def evidence_checked(conn: Connection, envelope: Envelope, event: Event) -> None:
    """The materials OneWindow obtained itself (statistics), and each library certificate."""
    event = narrow(event, EvidenceChecked)
    obtained = [m.material for m in event.materials if m.via != "applicant"]
    if obtained:
        await conn.execute(
            "UPDATE applications SET obtained_materials ="
            f" {sorted_union('obtained_materials', '$2')} WHERE application_id = $1",
            envelope.application_id,
            obtained,
        )
    for seq, material in enumerate(event.materials):
        if material.via != "e-certificate":
            continue
        holders = [mask_key(h.strip()) for h in (material.holder or "").split(",") if h.strip()]
        await conn.execute(
            _ACCESS, envelope.event_id, seq, envelope.application_id, envelope.occurred_at,
            "e-certificate", LIBRARY_BY, material.material, ["number"], holders,
            ", ".join(material.subtasks), f"证照 / certificate {material.certificate}",
        )  # fmt: skip


async def record_reads(
    db: asyncpg.Pool | Connection,
    applications: Sequence[UUID],
    at: datetime,
    reader_kind: str,
    reader: str,
    view: str,
    screen: str,
) -> None:
    """That `reader` saw these applications' personal data on `screen` (one statement)."""
    if applications:
        await db.execute(_READS, list(applications), at, reader_kind, reader, view, screen)


async def ledger(db: asyncpg.Pool | Connection, application_id: UUID) -> list[DataAccess]:
    return [
        DataAccess(**{k: v for k, v in dict(r).items() if k != "tie"})
        for r in await db.fetch(_LEDGER, application_id)
    ]
