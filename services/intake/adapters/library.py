"""The e-certificate library (电子证照库) as intake serves it: every certificate of an approved
outcome, per holder, projected from OutcomeDecided; the public check of a number and its
verification hash; a holder's certificates for hall staff."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import asyncpg

from contracts.certificates import verification_hash
from contracts.departments import department_name
from contracts.envelope import Envelope, Event
from contracts.events import OutcomeDecided
from contracts.registry import narrow
from eventlog.store import Connection
from services.intake.domain.masking import mask_name
from services.intake.domain.views import CertificateCheck, ECertificateView

_ISSUE = """
    INSERT INTO e_certificates (application_id, subtask, holder, holder_name, kind, title,
                                number, department, issued_at, verification_hash, replaces)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING
"""
# A certificate is replaced once a newer one of its kind, for its holder, replaces it.
_WITH_STATUS = """
    SELECT c.*, EXISTS (
        SELECT 1 FROM e_certificates n
        WHERE n.kind = c.kind AND n.holder = c.holder AND n.replaces
          AND (n.issued_at, n.number) > (c.issued_at, c.number)
    ) AS replaced
    FROM e_certificates c WHERE {where}
    ORDER BY c.issued_at DESC, c.number, c.holder
"""


async def issued(conn: Connection, envelope: Envelope, event: Event) -> None:
    """Every certificate of an approved outcome, once per holder."""
    event = narrow(event, OutcomeDecided)
    if event.decision != "approved":
        return
    for certificate in event.certificates:
        if certificate.kind is None:
            continue  # decided before the library: no kind, no holder
        digest = verification_hash(envelope.application_id, event.receipt_number, certificate)
        for holder in certificate.holders:
            await conn.execute(
                _ISSUE, envelope.application_id, certificate.subtask, holder.id, holder.name,
                certificate.kind, certificate.title, certificate.number, certificate.department,
                certificate.issued_at, digest, certificate.replaces,
            )  # fmt: skip


async def check(
    db: asyncpg.Pool | Connection, number: str, digest: str, zone: ZoneInfo
) -> CertificateCheck:
    rows = await db.fetch(
        _WITH_STATUS.format(where="c.number = $1 AND c.verification_hash = $2"), number, digest
    )
    if not rows:
        return CertificateCheck(verdict="unknown", number=number)
    replaced = all(r["replaced"] for r in rows)
    first = rows[0]
    return CertificateCheck(
        verdict="replaced" if replaced else "genuine",
        number=number,
        kind=first["kind"],
        title=first["title"],
        issuer=first["department"],
        issuer_name=department_name(first["department"]),
        issued_on=first["issued_at"].astimezone(zone).date().isoformat(),
        status="replaced" if replaced else "valid",
        holder_name="、".join(mask_name(r["holder_name"]) for r in rows),
    )


async def of_holder(db: asyncpg.Pool | Connection, holder: str) -> list[ECertificateView]:
    rows = await db.fetch(_WITH_STATUS.format(where="c.holder = $1"), holder)
    return [
        ECertificateView(
            number=r["number"], kind=r["kind"], title=r["title"], issuer=r["department"],
            issuer_name=department_name(r["department"]), issued_at=r["issued_at"],
            status="replaced" if r["replaced"] else "valid", holder=r["holder"],
            holder_name=r["holder_name"], application_id=r["application_id"],
            verification_hash=r["verification_hash"],
        )
        for r in rows
    ]  # fmt: skip
