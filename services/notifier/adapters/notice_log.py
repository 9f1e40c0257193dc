"""The notice streams in PostgreSQL: which notices wait for delivery, and recording how
their delivery ended (at version 2, so of two workers only one records)."""

from __future__ import annotations

import asyncio

import asyncpg

from contracts.envelope import Envelope
from eventlog.reading import StreamEnd, log_head, streams_ending_with
from eventlog.store import Connection, EventStore, RecordedEvent
from services.notifier.domain.events import NoticePrepared


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
        """Claims held by `session`, ending with it."""
        return Claims(session)


class Claims:
    """Which notices this worker is sending: session advisory locks on the session it listens
    on, so another worker skips them, and a crashed worker's claims end with its session
    (the pool's reset unlocks them too). Once the session is given up, `open` is False and
    releasing is left to its end."""

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
