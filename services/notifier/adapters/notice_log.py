"""The notice streams in PostgreSQL: which notices wait for delivery, and recording how
their delivery ended (at version 2, so of two workers only one records)."""

from __future__ import annotations

import asyncpg

from contracts.envelope import Envelope
from eventlog.reading import StreamEnd, log_head, streams_ending_with
from eventlog.store import Connection, EventStore, RecordedEvent
from runtime.claims import Claims
from services.notifier.domain.events import NoticePrepared

NOTICE_CLAIMS = "onewindow.notice"


class NoticeLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.store = pool, EventStore(pool)

    async def head(self) -> int:
        async with self.pool.acquire() as conn:
            return await log_head(conn)

    async def pending(self, from_position: int, limit: int) -> list[StreamEnd]:
        """Notices pending from `from_position` on, in position order: a notice is pending
        while NoticePrepared is the last event of its stream."""
        async with self.pool.acquire() as conn:
            return await streams_ending_with(conn, NoticePrepared.event_type, from_position, limit)

    async def still_pending(self, stream_id: str) -> RecordedEvent | None:
        """The stream's NoticePrepared while its delivery is not yet recorded."""
        events = await self.store.read(stream_id)
        if len(events) == 1 and events[0].envelope.event_type == NoticePrepared.event_type:
            return events[0]
        return None

    async def record(self, stream_id: str, outcome: Envelope) -> None:
        """Raises ConcurrencyConflict when another worker recorded first."""
        await self.store.append(stream_id, 1, [outcome])

    def claims(self, session: Connection) -> Claims:
        """Which notices this worker is sending: claims held by `session`, ending with it, so
        another worker skips them (runtime/claims.py)."""
        return Claims(session, NOTICE_CLAIMS)
