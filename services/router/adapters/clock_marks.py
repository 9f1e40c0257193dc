"""The index the ticker finds due work by: per process stream, its next clock mark.

Invariant: for every process stream, the row holds `next_mark(state)` of the state rebuilt
from the stream at `version`, and it is written in the same transaction as every append to
the stream (by the handler and by the ticker). A row is only replaced by one of the same or a
later version, so a writer that read an older state never moves it back. Hence any process
with a mark due by `now` has a row with `next_mark_at <= now`, after any crash or restart;
a row found due whose state has nothing due (it cannot be older than the log) just costs
one look. Exactly-once marks do not rest on this table: they rest on the expected-version
append (eventlog/store.py), so two tickers looking at one row record a mark once.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventlog.store import Connection

_WRITE = """
    INSERT INTO clock_marks (stream_id, application_id, next_mark_at, version)
    SELECT * FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::int[])
    ON CONFLICT (stream_id) DO UPDATE
        SET next_mark_at = EXCLUDED.next_mark_at, version = EXCLUDED.version
        WHERE clock_marks.version <= EXCLUDED.version
"""
_DUE = """
    SELECT stream_id FROM clock_marks
    WHERE next_mark_at <= $1 ORDER BY next_mark_at LIMIT $2
"""


class ClockMarks:
    """The marks of a unit of work's processes, written in one statement at its commit."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.marks: dict[str, tuple[UUID, datetime | None, int]] = {}

    def record(
        self, stream_id: str, application_id: UUID, next_at: datetime | None, version: int
    ) -> None:
        self.marks[stream_id] = (application_id, next_at, version)  # the latest state wins

    def mark(self) -> dict[str, tuple[UUID, datetime | None, int]]:
        return dict(self.marks)

    def rewind(self, mark: dict[str, tuple[UUID, datetime | None, int]] | None) -> None:
        self.marks = dict(mark or {})

    async def flush(self) -> None:
        if not self.marks:
            return
        streams = list(self.marks)
        await self.conn.execute(
            _WRITE,
            streams,
            [self.marks[s][0] for s in streams],
            [self.marks[s][1] for s in streams],
            [self.marks[s][2] for s in streams],
        )
        self.marks.clear()


async def due(conn: Connection, now: datetime, limit: int) -> list[str]:
    return [r["stream_id"] for r in await conn.fetch(_DUE, now, limit)]
