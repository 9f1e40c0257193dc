"""Checks every stream's hash chain: finds an event altered, removed or inserted out of band."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from eventlog.hashing import chain_hash
from eventlog.store import SELECT_EVENTS, to_recorded


@dataclass(frozen=True)
class Tampering:
    stream_id: str
    version: int
    problem: str

    def __str__(self) -> str:
        return f"{self.stream_id} v{self.version}: {self.problem}"


async def verify(pool: asyncpg.Pool, stream_id: str | None = None) -> list[Tampering]:
    """Every break in the chain of one stream, or of all streams; empty when intact."""
    where, args = ("WHERE stream_id = $1", [stream_id]) if stream_id else ("", [])
    found: list[Tampering] = []
    current: str | None = None
    expected_version, prev = 0, None
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        async for row in conn.cursor(f"{SELECT_EVENTS} {where} ORDER BY stream_id, version", *args):
            event = to_recorded(row)
            if event.stream_id != current:
                current, expected_version, prev = event.stream_id, 0, None
            expected_version += 1
            if event.version != expected_version:
                found.append(Tampering(event.stream_id, expected_version, "event missing"))
                expected_version = event.version
            if event.prev_hash != prev:
                found.append(Tampering(event.stream_id, event.version, "prev_hash does not link"))
            if (
                chain_hash(event.prev_hash, event.stream_id, event.version, event.envelope)
                != event.hash
            ):
                found.append(
                    Tampering(event.stream_id, event.version, "content does not match hash")
                )
            prev = event.hash
    return found
