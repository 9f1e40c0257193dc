"""The notifier's projection of applications (table `applications`), written inside the
inbox transaction of the event that changes it: a derived writer of the unit of work, whose
statements run at once (their order matters, see `hold`), so it has nothing left to flush.

A row whose receipt_number is NULL is a placeholder: a reminder came before the
submission and waits. Placeholder and submission meet on the row's lock (see `hold`)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.events import Delivery
from eventlog.store import Connection
from services.notifier.domain.applications import KnownApplication

_COLUMNS = (
    "receipt_number, matter, matter_name, applicant_name, delivery_channel,"
    " delivery_address, materials_owed"
)
_NOTE = f"""
    INSERT INTO applications (application_id, {_COLUMNS}, submitted_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (application_id) DO UPDATE SET
        receipt_number = EXCLUDED.receipt_number, matter = EXCLUDED.matter,
        matter_name = EXCLUDED.matter_name, applicant_name = EXCLUDED.applicant_name,
        delivery_channel = EXCLUDED.delivery_channel,
        delivery_address = EXCLUDED.delivery_address,
        materials_owed = EXCLUDED.materials_owed, submitted_at = EXCLUDED.submitted_at
"""
_HOLD = f"""
    INSERT INTO applications (application_id) VALUES ($1)
    ON CONFLICT (application_id) DO UPDATE SET application_id = EXCLUDED.application_id
    RETURNING {_COLUMNS}
"""
_HAND_IN = """
    UPDATE applications
    SET materials_owed = ARRAY(
        SELECT m FROM unnest(materials_owed) WITH ORDINALITY AS o(m, n)
        WHERE NOT (m = ANY($2::text[])) ORDER BY n
    )
    WHERE application_id = $1
"""


class Applications:
    """What the notifier knows of applications, on one unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def note_submission(
        self, application_id: UUID, known: KnownApplication, submitted_at: datetime
    ) -> None:
        d = known.delivery
        await self.conn.execute(
            _NOTE,
            application_id,
            known.receipt_number,
            known.matter,
            known.matter_name,
            known.applicant_name,
            d.channel,
            d.address,
            list(known.materials_owed),
            submitted_at,
        )

    async def hand_in(self, application_id: UUID, materials: tuple[str, ...]) -> None:
        await self.conn.execute(_HAND_IN, application_id, list(materials))

    async def lookup(self, application_id: UUID) -> KnownApplication | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM applications WHERE application_id = $1", application_id
        )
        return _known(row)

    async def hold(self, application_id: UUID) -> KnownApplication | None:
        """The application if its submission is recorded, else None; either way its row is
        locked until the transaction ends (a placeholder row is inserted when there is
        none). A submission recorded concurrently therefore either committed before (and is
        returned) or waits for this transaction and then sees what it parked."""
        return _known(await self.conn.fetchrow(_HOLD, application_id))

    async def flush(self) -> None:
        """Every statement ran already."""


def _known(row: asyncpg.Record | None) -> KnownApplication | None:
    if row is None or row["receipt_number"] is None:
        return None
    return KnownApplication(
        receipt_number=row["receipt_number"],
        matter=row["matter"],
        matter_name=row["matter_name"],
        applicant_name=row["applicant_name"],
        delivery=Delivery(channel=row["delivery_channel"], address=row["delivery_address"]),
        materials_owed=tuple(row["materials_owed"]),
    )
