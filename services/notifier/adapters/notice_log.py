"""The notice streams in PostgreSQL: which notices wait for delivery, and recording how
their delivery ended (at version 2, so of two workers only one records)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from contracts.envelope import Envelope
from eventlog.store import EventStore, RecordedEvent

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
