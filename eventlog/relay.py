"""The outbox relay: publishes a service's events to Kafka in position order, in batches.

Positions follow commit order (see store.py), so tailing `position > checkpoint` never
skips an event whose transaction committed late. The checkpoint moves only after the
broker acknowledged the whole batch: a crash republishes at most that last batch, and
consumers drop the repeat by event_id (the inbox). One relay per schema runs at a time,
held by an advisory lock; other replicas wait as standbys.

A broker that lost its data is noticed by the relay itself (eventlog/published.py): it
goes back to the consumed position and publishes from there again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import asyncpg
import structlog

from eventlog.broker_watch import BrokerWatch
from eventlog.pooling import holding_session_state
from eventlog.published import (
    Placed,
    PublishedOffsets,
    TopicPartition,
    markers_for_storage,
    markers_from_storage,
)
from eventlog.store import SELECT_EVENTS, Connection, RecordedEvent, to_recorded
from eventlog.tailing import appends_channel, first_of

log = structlog.get_logger()


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[RecordedEvent]) -> Sequence[Placed | None]:
        """Return only when the broker acknowledged every event: where each one landed
        (None for an event no topic carries), in the order given."""


class Relay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publisher: EventPublisher,
        *,
        batch_size: int = 2000,
        idle_poll_seconds: float = 1.0,
        standby_seconds: float = 5.0,
        publish_timeout_seconds: float = 60.0,
        watch: BrokerWatch | None = None,
        watch_seconds: float = 10.0,
        loss_settle_seconds: float = 30.0,
        report_lag: Callable[[int], None] = lambda _: None,
        report_data_loss: Callable[[], None] = lambda: None,
    ) -> None:
        self.pool, self.publisher = pool, publisher
        self.batch_size, self.idle_poll_seconds = batch_size, idle_poll_seconds
        self.standby_seconds = standby_seconds
        self.publish_timeout = publish_timeout_seconds
        self.watch, self.watch_seconds = watch, watch_seconds
        self.loss_settle_seconds = loss_settle_seconds
        self.report_lag, self.report_data_loss = report_lag, report_data_loss
        self.offsets = PublishedOffsets()
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
        placed = await asyncio.wait_for(self.publisher.publish(events), self.publish_timeout)
        lost = self.offsets.acknowledged(
            (e.position, e.envelope.event_id, where)
            for e, where in zip(events, placed, strict=True)
            if where
        )
        if lost:
            await self._heal(f"offsets went backwards on {_named(lost)}")
            return len(events)
        async with self.pool.acquire() as conn:
            moved = await conn.fetchval(
                "UPDATE relay_checkpoint SET position = $2, acked_offsets = $3::jsonb"
                " WHERE position = $1 RETURNING true",
                checkpoint,
                events[-1].position,
                json.dumps(markers_for_storage(self.offsets.last_acknowledged)),
            )
        if not moved:  # someone rewound the checkpoint meanwhile: their word stands
            log.info("relay checkpoint was moved by a republish; going on from there")
        self.report_lag(relay_lag(newest, events[-1].position))
        return len(events)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set, then publish what is left and return."""
        async with self.pool.acquire() as lock_conn:
            holding_session_state(lock_conn)
            schema = await lock_conn.fetchval("SELECT current_schema()")
            standing_by = False
            while not await lock_conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtext($1))", "relay:" + schema
            ):
                if not standing_by:  # said once, not every look: a standby may wait for days
                    log.info("relay standing by: another relay holds the schema", schema=schema)
                    standing_by = True
                if await first_of(stop, timeout=self.standby_seconds):
                    return
            if standing_by:
                log.info("relay taking over: the one that held the schema is gone", schema=schema)
            await lock_conn.add_listener(appends_channel(schema), self._on_notify)
            # The lock lives as long as this session: when it ends, so must this relay.
            lock_lost = asyncio.Event()
            lock_conn.add_termination_listener(lambda *_: lock_lost.set())
            try:
                await self._restore(lock_conn)
                await self._relay(stop, lock_lost)
            finally:
                # a session that ended took its lock and its listener with it
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    if not lock_lost.is_set():
                        await lock_conn.remove_listener(appends_channel(schema), self._on_notify)
                        await lock_conn.execute(
                            "SELECT pg_advisory_unlock(hashtext($1))", "relay:" + schema
                        )

    async def _relay(self, stop: asyncio.Event, lock_lost: asyncio.Event) -> None:
        if self.watch is not None:
            await self.watch.start()
        try:
            looked = time.monotonic()
            while not stop.is_set():
                if lock_lost.is_set():
                    raise ConnectionError("the session holding the relay's lock ended")
                self._wake.clear()
                sent = await self._publish_batch()
                if self.watch is not None and time.monotonic() - looked >= self.watch_seconds:
                    await self._look_at_broker()
                    await self._republish_once_more()
                    looked = time.monotonic()
                if sent < self.batch_size:
                    await first_of(self._wake, stop, lock_lost, timeout=self.idle_poll_seconds)
            await self.publish_pending()
        finally:
            if self.watch is not None:
                await self.watch.stop()

    async def _restore(self, conn: Connection) -> None:
        stored = await conn.fetchval("SELECT acked_offsets FROM relay_checkpoint")
        self.offsets = PublishedOffsets(markers_from_storage(json.loads(stored)))

    async def _look_at_broker(self) -> None:
        """Has the broker lost what it acknowledged? If not, how far was it consumed?"""
        assert self.watch is not None
        partitions = list(self.offsets.last_acknowledged)
        if not partitions:
            return
        try:
            gone = await self.watch.missing(self.offsets.last_acknowledged)
            if gone:
                await self._heal(f"the event acknowledged last is gone from {_named(gone)}")
                return
            committed = await self.watch.committed(partitions)
        except Exception as exc:  # broker away, or without an API we ask: relaying goes on
            log.warning("cannot ask the broker about its logs", error=f"{type(exc).__name__}")
            return
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT consumed_position, position FROM relay_checkpoint")
            assert row is not None
            known, checkpoint = row["consumed_position"], row["position"]
            consumed = self.offsets.consumed_position(committed, known, checkpoint + 1)
            if consumed > known:
                await conn.execute(
                    "UPDATE relay_checkpoint SET consumed_position = $1"
                    " WHERE consumed_position < $1",
                    consumed,
                )

    async def _heal(self, why: str) -> None:
        """The broker lost data: publish again everything a group may not have consumed."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "UPDATE relay_checkpoint SET position = least(position, consumed_position - 1),"
                " acked_offsets = '{}', again_at = now() + make_interval(secs => $1),"
                " again_from = least(coalesce(again_from, position), position,"
                " consumed_position - 1)"
                " RETURNING position, consumed_position",
                self.loss_settle_seconds,
            )
            assert row is not None
            newest = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
        self.offsets.forget()
        self.report_data_loss()
        log.warning(
            "the broker lost data; republishing what may not have been consumed",
            why=why,
            from_position=row["position"] + 1,
            events=max(newest - row["position"], 0),
        )

    async def _republish_once_more(self) -> None:
        """Right after a loss, while the services make the lost topics again, what is
        published may be dropped unseen (a topic made again over records just written to
        it; the bundled broker does that) and the relay's markers do not cover it. So once
        the broker has settled, everything since the loss is published once more; the
        inboxes drop the repeats. When and from where is kept with the checkpoint."""
        async with self.pool.acquire() as conn:
            since = await conn.fetchval(
                "WITH due AS (SELECT again_from FROM relay_checkpoint WHERE again_at <= now())"
                " UPDATE relay_checkpoint SET position = least(position, due.again_from),"
                " again_from = NULL, again_at = NULL FROM due RETURNING due.again_from"
            )
        if since is not None:
            log.warning(
                "republishing once more what followed the broker's data loss",
                from_position=since + 1,
            )

    def _on_notify(self, *_: object) -> None:
        self._wake.set()


def _named(partitions: Sequence[TopicPartition]) -> str:
    return ", ".join(f"{topic}/{partition}" for topic, partition in partitions)


def relay_lag(newest: int, checkpoint: int) -> int:
    """Events not yet published, from the newest position seen and the checkpoint; an
    overcount only by positions a rolled-back append drew (and never used)."""
    return max(newest - checkpoint, 0)


async def rewind(pool: asyncpg.Pool, position: int) -> None:
    """Republish from `position` on (after broker data loss): the relay goes back there."""
    async with pool.acquire() as conn:
        await conn.execute("UPDATE relay_checkpoint SET position = $1", max(position - 1, 0))
