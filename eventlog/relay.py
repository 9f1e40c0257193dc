"""The outbox relay: publishes a service's events to Kafka in position order, in batches.

Positions follow commit order (see store.py), so tailing `position > checkpoint` never
skips an event whose transaction committed late. The checkpoint moves only after the
broker acknowledged the whole batch: a crash republishes at most that last batch, and
consumers drop the repeat by event_id (the inbox). One relay per schema runs at a time,
held by an advisory lock; other replicas wait as standbys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

import asyncpg
import structlog

from eventlog.store import SELECT_EVENTS, RecordedEvent, to_recorded

log = structlog.get_logger()


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Return only when the broker acknowledged every event."""


class Relay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publisher: EventPublisher,
        *,
        batch_size: int = 2000,
        idle_poll_seconds: float = 1.0,
        report_lag: Callable[[int], None] = lambda _: None,
    ) -> None:
        self.pool, self.publisher = pool, publisher
        self.batch_size, self.idle_poll_seconds = batch_size, idle_poll_seconds
        self.report_lag = report_lag
        self._wake = asyncio.Event()

    async def pending(self) -> int:
        """Events recorded but not yet acknowledged by the broker (the relay lag)."""
        async with self.pool.acquire() as conn:
            value: int = await conn.fetchval(
                "SELECT count(*) FROM events"
                " WHERE position > (SELECT position FROM relay_checkpoint)"
            )
        return value

    async def publish_pending(self) -> int:
        """Publish everything committed so far; returns how many events went out."""
        total = 0
        while (sent := await self._publish_batch()) > 0:
            total += sent
        return total

    async def _publish_batch(self) -> int:
        async with self.pool.acquire() as conn:
            ends = await conn.fetchrow(
                "SELECT position AS checkpoint,"
                " (SELECT coalesce(max(position), 0) FROM events) AS newest FROM relay_checkpoint"
            )
            assert ends is not None, "relay_checkpoint has its one row from the first migration"
            checkpoint: int = ends["checkpoint"]
            newest: int = ends["newest"]
            rows = await conn.fetch(
                f"{SELECT_EVENTS} WHERE position > $1 ORDER BY position LIMIT $2",
                checkpoint,
                self.batch_size,
            )
        self.report_lag(relay_lag(newest, checkpoint))
        if not rows:
            return 0
        events = [to_recorded(r) for r in rows]
        await self.publisher.publish(events)
        async with self.pool.acquire() as conn:
            await conn.execute("UPDATE relay_checkpoint SET position = $1", events[-1].position)
        self.report_lag(relay_lag(newest, events[-1].position))
        return len(events)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set, then publish what is left and return."""
        async with self.pool.acquire() as lock_conn:
            schema = await lock_conn.fetchval("SELECT current_schema()")
            while not await lock_conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtext($1))", "relay:" + schema
            ):
                log.info("relay standing by: another relay holds the schema", schema=schema)
                if await _wait(stop, 5.0):
                    return
            await lock_conn.add_listener(schema + ".events", self._on_notify)
            try:
                while not stop.is_set():
                    self._wake.clear()
                    if await self._publish_batch() < self.batch_size:
                        await _wait(self._wake, self.idle_poll_seconds, stop)
                await self.publish_pending()
            finally:
                await lock_conn.remove_listener(schema + ".events", self._on_notify)
                await lock_conn.execute(
                    "SELECT pg_advisory_unlock(hashtext($1))", "relay:" + schema
                )

    def _on_notify(self, *_: object) -> None:
        self._wake.set()


async def _wait(event: asyncio.Event, timeout: float, also: asyncio.Event | None = None) -> bool:
    """Wait for `event` (or `also`) up to `timeout`; True if one is set."""
    waiters = [asyncio.ensure_future(e.wait()) for e in (event, also) if e is not None]
    done, pending = await asyncio.wait(
        waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    return bool(done)


def relay_lag(newest: int, checkpoint: int) -> int:
    """Events not yet published, from the newest position seen and the checkpoint; an
    overcount only by positions a rolled-back append drew (and never used)."""
    return max(newest - checkpoint, 0)


async def rewind(pool: asyncpg.Pool, position: int) -> None:
    """Republish from `position` on (after broker data loss): the relay goes back there."""
    async with pool.acquire() as conn:
        await conn.execute("UPDATE relay_checkpoint SET position = $1", max(position - 1, 0))
