"""The inbox: "consumer C processed event X" commits in the same transaction as what the
handler decided, so a redelivered event changes nothing (DESIGN rule 5). The caller commits
the Kafka offset only after `process` returns.

A batch costs a constant number of round trips: one statement records every event of the
batch in the inbox (and tells which are new), one read brings every stream the new events
touch, and the unit of work writes what the handlers decided at the end (unit_of_work.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from contracts.envelope import Envelope
from eventlog.store import ConcurrencyConflict
from eventlog.unit_of_work import DerivedFactory, PostgresUnitOfWork, StreamCache, UnitOfWork

log = structlog.get_logger()

Handler = Callable[[Envelope, UnitOfWork], Awaitable[None]]
# The streams a handler will read for an event, so the batch reads them all at once.
StreamsOf = Callable[[Envelope], Iterable[str]]


class Unprocessable(Exception):
    """Raised by a handler for an event it can never process; it goes to the dead letters."""


class _Poisoned(Exception):
    def __init__(self, envelope: Envelope, reason: str) -> None:
        self.envelope, self.reason = envelope, reason


class Inbox:
    def __init__(
        self,
        pool: asyncpg.Pool,
        consumer: str,
        *,
        streams_of: StreamsOf | None = None,
        derived: Mapping[type[Any], DerivedFactory] | None = None,
        conflict_retries: int = 5,
    ) -> None:
        self.pool, self.consumer, self.conflict_retries = pool, consumer, conflict_retries
        self.streams_of, self.derived = streams_of, derived or {}
        self.cache = StreamCache()

    async def process(
        self, envelopes: Sequence[Envelope], handler: Handler
    ) -> tuple[int, list[tuple[Envelope, str]]]:
        """Handle a batch in one transaction.

        Returns how many events were new, and the events the handler found Unprocessable
        with the reason (the batch is handled again without them). A ConcurrencyConflict
        rolls the batch back and handles it again, so handlers see the winner's state.
        """
        remaining, conflicts = list(envelopes), 0
        rejected: list[tuple[Envelope, str]] = []
        while True:
            try:
                fresh, unprocessable = await self._process_once(remaining, handler)
                return fresh, rejected + unprocessable
            except _Poisoned as poisoned:
                remaining.remove(poisoned.envelope)
                rejected.append((poisoned.envelope, poisoned.reason))
            except ConcurrencyConflict as conflict:
                conflicts += 1
                if conflicts >= self.conflict_retries:
                    raise
                log.info("retrying batch after a concurrency conflict", reason=str(conflict))

    async def seen(self, event_ids: Sequence[UUID]) -> set[UUID]:
        """Those of the events this consumer handled or dead-lettered."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT event_id FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])"
                " UNION SELECT event_id FROM dead_letters"
                " WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
                self.consumer,
                list(event_ids),
            )
        return {r["event_id"] for r in rows}

    async def _process_once(
        self, envelopes: Sequence[Envelope], handler: Handler
    ) -> tuple[int, list[tuple[Envelope, str]]]:
        """New events handled, and the Unprocessable ones: each taken back within the batch
        (it stays in the inbox, as dead-lettered), or — when its work cannot be taken back
        alone — the whole batch rolled back to be handled again without it."""
        if not envelopes:
            return 0, []
        async with self.pool.acquire() as conn, conn.transaction():
            fresh_ids = {
                r["event_id"]
                for r in await conn.fetch(
                    "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])"
                    " ON CONFLICT DO NOTHING RETURNING event_id",
                    self.consumer,
                    [e.event_id for e in envelopes],
                )
            }
            fresh = [e for e in envelopes if e.event_id in fresh_ids]
            if len(fresh) < len(envelopes):
                log.debug("duplicates ignored", count=len(envelopes) - len(fresh))
            uow = PostgresUnitOfWork(conn, self.derived, self.cache)
            if self.streams_of is not None:
                await uow.read_many(s for e in fresh for s in self.streams_of(e))
            unprocessable: list[tuple[Envelope, str]] = []
            for envelope in fresh:
                mark = uow.mark()
                try:
                    await handler(envelope, uow)
                except Unprocessable as exc:
                    if not uow.rewind(mark):
                        raise _Poisoned(envelope, str(exc)) from exc
                    unprocessable.append((envelope, str(exc)))
            await uow.commit()
        for action in uow.committed_actions:
            try:
                action()
            except Exception:  # what is committed stays committed: the batch is done
                log.exception("an after-commit action failed")
        return len(fresh) - len(unprocessable), unprocessable
