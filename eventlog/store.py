"""The append-only event store on PostgreSQL.

Appends are serialised per service schema: an appending transaction takes a
transaction-level advisory lock named after the schema before it draws positions from
the identity sequence, and holds it until it commits or rolls back. So a position is
drawn only after every transaction holding smaller positions has ended, and a reader
that tails `position` never sees a larger position while a smaller one is still pending
(DESIGN rule 4). The lock blocks other appenders only; readers (the relay) go on.
The same lock makes the "expected version" check and the hash-chain head exact.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from contracts.envelope import Envelope
from eventlog.hashing import HASH_SCHEME, canonical_payload, chain_hash

Connection = asyncpg.Connection | PoolConnectionProxy

# Failures that say nothing about the request or the event: the database is away or busy.
DATABASE_AWAY = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.TransactionRollbackError,
)


class ConcurrencyConflict(Exception):
    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream_id!r}: expected version {expected}, found {actual}")
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


@dataclass(frozen=True)
class StreamAppend:
    stream_id: str
    expected_version: int
    events: Sequence[Envelope]


@dataclass(frozen=True)
class RecordedEvent:
    position: int
    stream_id: str
    version: int
    envelope: Envelope
    prev_hash: bytes | None
    hash: bytes
    recorded_at: datetime


_COLUMNS = (
    "stream_id, version, event_id, event_type, schema_version, occurred_at, application_id,"
    " correlation_id, causation_id, traceparent, producer, payload, prev_hash, hash"
)
_INSERT = f"""
    INSERT INTO events ({_COLUMNS}, hash_scheme)
    SELECT s, v, e, t, sv, o, a, c, ca, tp, p, pl::jsonb, ph, h, {HASH_SCHEME} FROM unnest(
        $1::text[], $2::int[], $3::uuid[], $4::text[], $5::int[], $6::timestamptz[],
        $7::uuid[], $8::uuid[], $9::uuid[], $10::text[], $11::text[], $12::text[],
        $13::bytea[], $14::bytea[]
    ) AS x(s, v, e, t, sv, o, a, c, ca, tp, p, pl, ph, h)
"""
_HEADS = """
    SELECT DISTINCT ON (stream_id) stream_id, version, hash FROM events
    WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version DESC
"""
SELECT_EVENTS = f"SELECT position, {_COLUMNS}, recorded_at FROM events"
# What verify reads: also the scheme each event was hashed with (`payload` is jsonb's text).
SELECT_AUDITED = f"SELECT position, {_COLUMNS}, recorded_at, hash_scheme FROM events"


def to_recorded(row: asyncpg.Record) -> RecordedEvent:
    fields = {
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "schema_version": row["schema_version"],
        "occurred_at": row["occurred_at"],
        "application_id": row["application_id"],
        "correlation_id": row["correlation_id"],
        "causation_id": row["causation_id"],
        "traceparent": row["traceparent"],
        "producer": row["producer"],
        "payload": json.loads(row["payload"]),
    }
    # The columns' types are the envelope's (uuid, timestamptz in UTC, NOT NULL where it must
    # be): only a payload that is no JSON object — written past the append — needs the model's
    # check, which then names it.
    trusted = isinstance(fields["payload"], dict)
    envelope = Envelope.model_construct(**fields) if trusted else Envelope(**fields)
    return RecordedEvent(
        row["position"], row["stream_id"], row["version"], envelope,
        row["prev_hash"], row["hash"], row["recorded_at"],
    )  # fmt: skip


async def append_streams(conn: Connection, appends: Sequence[StreamAppend]) -> None:
    """Append to several streams atomically; `conn` must be inside a transaction."""
    appends = [a for a in appends if a.events]
    if not appends:
        return
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.append'))")
    heads = {
        r["stream_id"]: (r["version"], r["hash"])
        for r in await conn.fetch(_HEADS, [a.stream_id for a in appends])
    }
    columns: list[list[Any]] = [[] for _ in range(14)]
    for append in appends:
        version, prev = heads.get(append.stream_id, (0, None))
        if version != append.expected_version:
            raise ConcurrencyConflict(append.stream_id, append.expected_version, version)
        for envelope in append.events:
            version += 1
            payload = canonical_payload(envelope.payload)
            digest = chain_hash(prev, append.stream_id, version, envelope, payload)
            row = (
                append.stream_id, version, envelope.event_id, envelope.event_type,
                envelope.schema_version, envelope.occurred_at, envelope.application_id,
                envelope.correlation_id, envelope.causation_id, envelope.traceparent,
                envelope.producer, payload, prev, digest,
            )  # fmt: skip
            for column, value in zip(columns, row, strict=True):
                column.append(value)
            prev = digest
        heads[append.stream_id] = (version, prev)
    await conn.execute(_INSERT, *columns)  # a trigger announces it on <schema>.events


async def read_stream(conn: Connection, stream_id: str) -> list[RecordedEvent]:
    rows = await conn.fetch(f"{SELECT_EVENTS} WHERE stream_id = $1 ORDER BY version", stream_id)
    return [to_recorded(r) for r in rows]


async def read_streams(
    conn: Connection, stream_ids: Sequence[str], after: Mapping[str, int] | None = None
) -> dict[str, list[RecordedEvent]]:
    """Several streams in one round trip, each past the version `after` names (0: whole); a
    stream with no such events is absent."""
    after = after or {}
    rows = await conn.fetch(
        f"{SELECT_EVENTS} JOIN unnest($1::text[], $2::int[]) AS wanted(s, v)"
        " ON stream_id = wanted.s AND version > wanted.v ORDER BY stream_id, version",
        list(stream_ids),
        [after.get(s, 0) for s in stream_ids],
    )
    streams: dict[str, list[RecordedEvent]] = {}
    for row in rows:
        streams.setdefault(row["stream_id"], []).append(to_recorded(row))
    return streams


# Group commit: appends from many concurrent callers written together.
#
# Appends to one schema are serialised, and each commit waits for its WAL flush while it holds
# the append lock (above), so appends made one transaction each are bounded by the flush:
# a few hundred a second on a busy disk. Here a caller's append waits while the one transaction
# under way is written; whatever arrived meanwhile goes out in the next one — one flush, one
# turn of the lock, for all of them. A caller still gets exactly its own answer: done once its
# events are committed, or its stream's ConcurrencyConflict (the others are written without it).

MAX_STREAMS = 500  # appends per transaction at most


@dataclass
class _Waiting:
    append: StreamAppend
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, append: StreamAppend) -> None:
        """Return once `append` is committed; raises its ConcurrencyConflict."""
        waiting = _Waiting(append)
        self._waiting.append(waiting)
        if self._writer is None or self._writer.done():
            # a task of its own: a caller cancelled while waiting leaves the others served
            self._writer = asyncio.create_task(self._write_all())
        await asyncio.shield(waiting.done)

    async def _write_all(self) -> None:
        try:
            await self._write_waiting()
        except BaseException as exc:  # cancelled, say: nobody may be left waiting
            for waiting in self._waiting:
                _settle(waiting, exc)
            self._waiting = []
            raise

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch: list[_Waiting] = []
            seen: set[str] = set()
            later: list[_Waiting] = []
            for waiting in self._waiting:
                stream = waiting.append.stream_id
                if stream in seen or len(batch) >= MAX_STREAMS:
                    later.append(waiting)  # one append per stream in a transaction
                else:
                    seen.add(stream)
                    batch.append(waiting)
            self._waiting = later
            await self._write(batch)

    async def _write(self, batch: Sequence[_Waiting]) -> None:
        batch = list(batch)
        while batch:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await append_streams(conn, [w.append for w in batch])
            except ConcurrencyConflict as conflict:
                for waiting in batch:
                    if waiting.append.stream_id == conflict.stream_id:
                        _settle(waiting, conflict)
                batch = [w for w in batch if w.append.stream_id != conflict.stream_id]
            except BaseException as exc:
                for waiting in batch:
                    _settle(waiting, exc)
                if not isinstance(exc, Exception):
                    raise
                return
            else:
                for waiting in batch:
                    _settle(waiting, None)
                return


def _settle(waiting: _Waiting, error: BaseException | None) -> None:
    if waiting.done.done():
        return
    if error is None:
        waiting.done.set_result(None)
    elif isinstance(error, asyncio.CancelledError):
        waiting.done.cancel()
    else:
        waiting.done.set_exception(error)


class EventStore:
    """One service's event log, in the schema its pool's search_path names. Appends of one
    stream from concurrent callers are committed together (group_commit.py)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._group = GroupCommit(pool)

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[Envelope]
    ) -> int:
        await self._group.append(StreamAppend(stream_id, expected_version, events))
        return expected_version + len(events)

    async def append_batch(self, appends: Sequence[StreamAppend]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await append_streams(conn, appends)

    async def read(self, stream_id: str) -> list[RecordedEvent]:
        async with self.pool.acquire() as conn:
            return await read_stream(conn, stream_id)

    async def read_application(self, application_id: UUID) -> list[RecordedEvent]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"{SELECT_EVENTS} WHERE application_id = $1 ORDER BY position", application_id
            )
        return [to_recorded(r) for r in rows]
