"""Filings in dept_adapter's event log: one stream `filing-<filing_key>` per filing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from contracts.envelope import Envelope
from eventlog.store import EventStore, read_stream
from services.dept_adapter.domain.filing import Filing, replay, stream_of

_TAIL = """
    SELECT position, stream_id, event_type, payload->>'department' AS department FROM events
    WHERE position > $1 AND stream_id LIKE 'filing-%' ORDER BY position LIMIT $2
"""


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    filing_key: str
    event_type: str
    department: str | None


class FilingLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.store = EventStore(pool)

    async def load(self, filing_key: str) -> Filing | None:
        async with self.pool.acquire() as conn:
            recorded = await read_stream(conn, stream_of(filing_key))
        return replay([r.envelope for r in recorded])

    async def version(self, filing_key: str) -> int:
        async with self.pool.acquire() as conn:
            value: int = await conn.fetchval(
                "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1",
                stream_of(filing_key),
            )
        return value

    async def append(self, filing: Filing, events: Sequence[Envelope]) -> None:
        """Raises ConcurrencyConflict if anything was recorded since `filing` was loaded."""
        await self.store.append(stream_of(filing.key), filing.version, events)

    async def tail(self, after: int, limit: int = 1000) -> list[LoggedEvent]:
        """Filing events after `after`, in position (= commit) order."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(_TAIL, after, limit)
        return [
            LoggedEvent(
                r["position"], r["stream_id"].removeprefix("filing-"), r["event_type"],
                r["department"],
            )
            for r in rows
        ]  # fmt: skip
