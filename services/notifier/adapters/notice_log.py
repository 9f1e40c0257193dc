"""The notice streams in PostgreSQL: which notices wait for delivery, and recording how
their delivery ended (at version 2, so of two workers only one records)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from contracts.envelope import Envelope
from eventlog.store import Connection, EventStore, RecordedEvent

# A notice is pending while NoticePrepared is the last event of its stream.
_PENDING = """
    SELECT p.stream_id, p.position FROM events p
    WHERE p.event_type = 'NoticePrepared' AND p.position >= $1
      AND NOT EXISTS (
          SELECT 1 FROM events d WHERE d.stream_id = p.stream_id AND d.version > p.version
      )
    ORDER BY p.position LIMIT $2
"""


@dataclass(frozen=True)
class Pending:
    stream_id: str
    position: int


class NoticeLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.store = pool, EventStore(pool)

    async def head(self) -> int:
        async with self.pool.acquire() as conn:
            value: int = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
        return value

    async def pending(self, from_position: int, limit: int) -> list[Pending]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(_PENDING, from_position, limit)
        return [Pending(r["stream_id"], r["position"]) for r in rows]

    async def still_pending(self, stream_id: str) -> RecordedEvent | None:
        """The stream's NoticePrepared while its delivery is not yet recorded."""
        events = await self.store.read(stream_id)
        if len(events) == 1 and events[0].envelope.event_type == "NoticePrepared":
            return events[0]
        return None

    async def record(self, stream_id: str, outcome: Envelope) -> None:
        """Raises ConcurrencyConflict when another worker recorded first."""
        await self.store.append(stream_id, 1, [outcome])


class Claims:
    """Which notices this worker is sending: session advisory locks on the worker's own
    connection, so another worker skips them, and a crashed worker's claims end with its
    connection (the pool's reset unlocks them too)."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.open = conn, True
        self._serial = asyncio.Lock()  # one connection runs one query at a time

    async def claim(self, stream_id: str) -> bool:
        async with self._serial:
            return bool(await self.conn.fetchval(_LOCK, stream_id))

    async def release(self, stream_id: str) -> None:
        async with self._serial:
            if self.open:
                await self.conn.execute(_UNLOCK, stream_id)


_LOCK = "SELECT pg_try_advisory_lock(hashtext('onewindow.notice'), hashtext($1))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtext('onewindow.notice'), hashtext($1))"
