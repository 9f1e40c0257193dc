"""Filings and lookups in dept_adapter's event log: one stream `filing-<filing_key>` per
filing, one `lookup-<lookup_key>` per register lookup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from contracts.envelope import Envelope
from eventlog.reading import read_after, stream_head
from eventlog.store import EventStore, read_stream
from services.dept_adapter.domain.filing import STREAM_PREFIX as FILING_PREFIX
from services.dept_adapter.domain.filing import Filing, replay, stream_of
from services.dept_adapter.domain.lookup import STREAM_PREFIX, Lookup, lookup_stream, replay_lookup


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    stream_id: str
    event_type: str
    department: str | None

    @property
    def lookup_key(self) -> str | None:
        return self.stream_id.removeprefix(STREAM_PREFIX) if self.is_lookup else None

    @property
    def is_lookup(self) -> bool:
        return self.stream_id.startswith(STREAM_PREFIX)

    @property
    def filing_key(self) -> str:
        return self.stream_id.removeprefix(FILING_PREFIX)


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
            return (await stream_head(conn, stream_of(filing_key))).version

    async def append(self, filing: Filing, events: Sequence[Envelope]) -> None:
        """Raises ConcurrencyConflict if anything was recorded since `filing` was loaded."""
        await self.store.append(stream_of(filing.key), filing.version, events)

    async def lookup(self, lookup_key: str) -> Lookup | None:
        async with self.pool.acquire() as conn:
            recorded = await read_stream(conn, lookup_stream(lookup_key))
        return replay_lookup([r.envelope for r in recorded])

    async def answer(self, lookup: Lookup, events: Sequence[Envelope]) -> None:
        """Raises ConcurrencyConflict if anything was recorded since `lookup` was loaded."""
        await self.store.append(lookup_stream(lookup.key), lookup.version, events)

    async def tail(self, after: int, limit: int = 1000) -> list[LoggedEvent]:
        """Filing and lookup events after `after`, in position (= commit) order."""
        async with self.pool.acquire() as conn:
            recorded = await read_after(
                conn, after, limit, stream_prefixes=(FILING_PREFIX, STREAM_PREFIX)
            )
        return [
            LoggedEvent(r.position, r.stream_id, r.envelope.event_type, _department(r.envelope))
            for r in recorded
        ]


def _department(envelope: Envelope) -> str | None:
    department = envelope.payload.get("department")
    return department if isinstance(department, str) else None
