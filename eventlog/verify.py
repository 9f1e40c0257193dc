"""Checks every stream's hash chain: finds an event altered, removed or inserted out of band.

The chain alone cannot see a change whose hashes were recomputed (the formula is public), nor
a removed last event or stream; eventlog/audit.py holds the log against signed checkpoints
for that.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from eventlog.hashing import HASH_SCHEMES, read_back, stored_hash
from eventlog.store import SELECT_AUDITED, Connection, to_recorded


@dataclass(frozen=True)
class Tampering:
    stream_id: str
    version: int | None  # None: the whole stream
    problem: str
    position: int | None = None

    def __str__(self) -> str:
        where = self.stream_id if self.version is None else f"{self.stream_id} v{self.version}"
        if self.position is not None:
            where += f" (position {self.position})"
        return f"{where}: {self.problem}"


async def verify(pool: asyncpg.Pool, stream_id: str | None = None) -> list[Tampering]:
    """Every break in the chain of one stream, or of all streams; empty when intact."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        return await verify_chains(conn, stream_id)


async def verify_chains(conn: Connection, stream_id: str | None = None) -> list[Tampering]:
    """`verify` on a connection the caller holds (in a transaction: a cursor needs one)."""
    where, args = ("WHERE stream_id = $1", [stream_id]) if stream_id else ("", [])
    found: list[Tampering] = []
    current: str | None = None
    expected_version, prev = 0, None
    async for row in conn.cursor(f"{SELECT_AUDITED} {where} ORDER BY stream_id, version", *args):
        event = to_recorded(row)
        if event.stream_id != current:
            current, expected_version, prev = event.stream_id, 0, None
        expected_version += 1
        if event.version != expected_version:
            found.append(Tampering(event.stream_id, expected_version, "event missing"))
            expected_version = event.version
        if event.prev_hash != prev:
            found.append(Tampering(event.stream_id, event.version, "prev_hash does not link"))
        scheme = row["hash_scheme"]
        if scheme not in HASH_SCHEMES:
            found.append(Tampering(event.stream_id, event.version, f"unknown hash scheme {scheme}"))
        else:
            payload = event.envelope.payload if scheme == 1 else read_back(row["payload"])
            digest = stored_hash(
                scheme, event.prev_hash, event.stream_id, event.version, event.envelope, payload
            )
            if digest != event.hash:
                found.append(
                    Tampering(event.stream_id, event.version, "content does not match hash")
                )
        prev = event.hash
    return found
