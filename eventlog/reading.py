"""Reading event logs: a service's own (in its pool's search_path) and, read-only, the logs
of other services (each in its own schema). The only place besides the store that names
the `events` table in a query; services ask here instead.

Positions are drawn in commit order (see store.py), so a reader that remembers the last
position it saw and asks for what lies beyond misses nothing that commits later.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventlog.store import SELECT_EVENTS, Connection, RecordedEvent, to_recorded

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class StreamHead:
    version: int  # 0: the stream has no events
    first_traceparent: str | None  # the trace its first event began


async def stream_head(conn: Connection, stream_id: str) -> StreamHead:
    row = await conn.fetchrow(
        "SELECT coalesce(max(version), 0) AS version,"
        " max(traceparent) FILTER (WHERE version = 1) AS traceparent"
        " FROM events WHERE stream_id = $1",
        stream_id,
    )
    assert row is not None  # an aggregate always yields a row
    return StreamHead(row["version"], row["traceparent"])


async def log_head(conn: Connection) -> int:
    """The newest position of the log (0 while empty)."""
    value: int = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
    return value


async def read_after(
    conn: Connection, position: int, limit: int, *, stream_prefixes: Sequence[str] = ()
) -> list[RecordedEvent]:
    """Events past `position` in position order, at most `limit`; only of streams whose id
    begins with one of `stream_prefixes`, if any are named."""
    if not stream_prefixes:
        rows = await conn.fetch(
            f"{SELECT_EVENTS} WHERE position > $1 ORDER BY position LIMIT $2", position, limit
        )
    else:
        rows = await conn.fetch(
            f"{SELECT_EVENTS} WHERE position > $1"
            " AND stream_id LIKE ANY (SELECT p || '%' FROM unnest($3::text[]) AS p)"
            " ORDER BY position LIMIT $2",
            position,
            limit,
            list(stream_prefixes),
        )
    return [to_recorded(r) for r in rows]


@dataclass(frozen=True)
class StreamEnd:
    stream_id: str
    position: int  # of its last event


async def streams_ending_with(
    conn: Connection, event_type: str, from_position: int, limit: int
) -> list[StreamEnd]:
    """Streams whose last event is of `event_type`, that event at `from_position` or later,
    in position order."""
    rows = await conn.fetch(
        "SELECT p.stream_id, p.position FROM events p"
        " WHERE p.event_type = $1 AND p.position >= $2 AND NOT EXISTS ("
        "   SELECT 1 FROM events d WHERE d.stream_id = p.stream_id AND d.version > p.version)"
        " ORDER BY p.position LIMIT $3",
        event_type,
        from_position,
        limit,
    )
    return [StreamEnd(r["stream_id"], r["position"]) for r in rows]


class ServiceLogs:
    """Other services' logs, read-only, through one connection whose role may read them."""

    def __init__(self, conn: Connection, schemas: Sequence[str]) -> None:
        for schema in schemas:
            if not _SCHEMA.match(schema):
                raise ValueError(f"not a schema name: {schema!r}")
        self.conn, self.schemas = conn, tuple(schemas)

    async def readable(self) -> tuple[list[str], list[str]]:
        """The schemas whose log exists and may be read, and the others."""
        readable: list[str] = []
        unread: list[str] = []
        for schema in self.schemas:
            table = f'"{schema}".events'
            exists = await self.conn.fetchval("SELECT to_regclass($1)", table) is not None
            allowed = exists and await self.conn.fetchval(
                "SELECT has_table_privilege($1, 'SELECT')", table
            )
            (readable if allowed else unread).append(schema)
        return readable, unread

    async def of_application(self, application_id: UUID) -> list[tuple[str, RecordedEvent]]:
        """Every readable log's events about one application, each with the schema it is
        from, in time order (ties: by the UUIDv7 event id)."""
        readable, _ = await self.readable()
        if not readable:
            return []
        union = " UNION ALL ".join(
            f"SELECT ${n}::text AS log, * FROM ({_select(s)} WHERE application_id = $1) AS e{n}"
            for n, s in enumerate(readable, start=2)
        )
        rows = await self.conn.fetch(
            f"{union} ORDER BY occurred_at, event_id", application_id, *readable
        )
        return [(r["log"], to_recorded(r)) for r in rows]

    async def in_time_order(self, page: int = 1000) -> AsyncIterator[list[RecordedEvent]]:
        """Every readable log's events, merged in time order, a page at a time."""
        readable, _ = await self.readable()
        if not readable:
            return
        union = " UNION ALL ".join(_select(s) for s in readable)
        query = (
            f"SELECT * FROM ({union}) AS e WHERE (occurred_at, event_id) > ($1, $2)"
            f" ORDER BY occurred_at, event_id LIMIT {int(page)}"
        )
        after: tuple[datetime, UUID] = (datetime(1970, 1, 1, tzinfo=UTC), UUID(int=0))
        while rows := await self.conn.fetch(query, *after):
            yield [to_recorded(r) for r in rows]
            after = (rows[-1]["occurred_at"], rows[-1]["event_id"])

    async def heads(self) -> dict[str, int]:
        """Each log's newest position."""
        return {
            s: await self.conn.fetchval(f'SELECT coalesce(max(position), 0) FROM "{s}".events')
            for s in self.schemas
        }

    async def counts_after(self, positions: dict[str, int]) -> dict[str, int]:
        """How many events each log has past the position given for it."""
        return {
            s: await self.conn.fetchval(f'SELECT count(*) FROM "{s}".events WHERE position > $1', p)
            for s, p in positions.items()
            if s in self.schemas
        }


def _select(schema: str) -> str:
    return SELECT_EVENTS.replace("FROM events", f'FROM "{schema}".events')
