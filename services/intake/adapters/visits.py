"""Visits (跑一次) and the materials the applicant handed in, as the projection records them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from contracts.envelope import Envelope
from eventlog.store import Connection

VisitKind = Literal["submission", "supplement", "hand-in", "pickup"]


def sorted_union(column: str, parameter: str) -> str:
    """SQL: `column` with the text[] `parameter` added, distinct and sorted (order-free)."""
    return f"ARRAY(SELECT DISTINCT n FROM unnest({column} || {parameter}::text[]) AS n ORDER BY n)"


async def record_visit(conn: Connection, envelope: Envelope, kind: VisitKind) -> None:
    await conn.execute(
        "INSERT INTO visits (event_id, application_id, kind, occurred_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        envelope.event_id, envelope.application_id, kind, envelope.occurred_at,
    )  # fmt: skip


async def add_brought(conn: Connection, envelope: Envelope, materials: Sequence[str]) -> None:
    if materials:
        await conn.execute(
            "UPDATE applications SET brought_materials ="
            f" {sorted_union('brought_materials', '$2')} WHERE application_id = $1",
            envelope.application_id,
            list(materials),
        )
