"""Idempotency keys of submissions, per client, written with the event they led to."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eventlog.store import Connection


@dataclass(frozen=True)
class Remembered:
    request_sha256: str
    application_id: UUID
    receipt_number: str


async def claim(
    conn: Connection,
    client_id: str,
    key: str,
    request_sha256: str,
    application_id: UUID,
    receipt_number: str,
) -> bool:
    """True if the key is now ours. A concurrent claim of the same key waits for ours to
    commit or roll back (the primary key's lock), so only one request makes an application."""
    inserted = await conn.fetchval(
        "INSERT INTO idempotency_keys"
        " (client_id, idempotency_key, request_sha256, application_id, receipt_number)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
        client_id,
        key,
        request_sha256,
        application_id,
        receipt_number,
    )
    return bool(inserted)


async def recall(conn: Connection, client_id: str, key: str) -> Remembered:
    row = await conn.fetchrow(
        "SELECT request_sha256, application_id, receipt_number FROM idempotency_keys"
        " WHERE client_id = $1 AND idempotency_key = $2",
        client_id,
        key,
    )
    if row is None:  # claim() found it a moment ago and rows are never deleted
        raise LookupError(f"idempotency key {key!r} of {client_id!r} vanished")
    return Remembered(row["request_sha256"], row["application_id"], row["receipt_number"])
