"""The inbox: "consumer C processed event X" commits in the same transaction as the
events the handler appends, so a redelivered event changes nothing (DESIGN rule 5).
The caller commits the Kafka offset only after `process` returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import structlog

from contracts.envelope import Envelope
from eventlog.store import (
    ConcurrencyConflict,
    Connection,
    RecordedEvent,
    StreamAppend,
    append_streams,
    read_stream,
)

log = structlog.get_logger()


class UnitOfWork:
    """What a handler may do inside the inbox transaction: read streams, append events, and
    leave actions to run once it committed (e.g. count a metric: once per fact)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.committed_actions: list[Callable[[], None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction committed; never if it rolls back."""
        self.committed_actions.append(action)

    async def read(self, stream_id: str) -> list[RecordedEvent]:
        return await read_stream(self.conn, stream_id)

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[Envelope]
    ) -> None:
        await append_streams(self.conn, [StreamAppend(stream_id, expected_version, events)])


Handler = Callable[[Envelope, UnitOfWork], Awaitable[None]]


class Unprocessable(Exception):
    """Raised by a handler for an event it can never process; it goes to the dead letters."""


class _Poisoned(Exception):
    def __init__(self, envelope: Envelope, reason: str) -> None:
        self.envelope, self.reason = envelope, reason


class Inbox:
    def __init__(self, pool: asyncpg.Pool, consumer: str, *, conflict_retries: int = 5) -> None:
        self.pool, self.consumer, self.conflict_retries = pool, consumer, conflict_retries

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
                return await self._process_once(remaining, handler), rejected
            except _Poisoned as poisoned:
                remaining.remove(poisoned.envelope)
                rejected.append((poisoned.envelope, poisoned.reason))
            except ConcurrencyConflict as conflict:
                conflicts += 1
                if conflicts >= self.conflict_retries:
                    raise
                log.info("retrying batch after a concurrency conflict", reason=str(conflict))

    async def _process_once(self, envelopes: Sequence[Envelope], handler: Handler) -> int:
        fresh = 0
        async with self.pool.acquire() as conn, conn.transaction():
            uow = UnitOfWork(conn)
            for envelope in envelopes:
                inserted = await conn.fetchval(
                    "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING RETURNING true",
                    self.consumer,
                    envelope.event_id,
                )
                if not inserted:
                    log.debug("duplicate ignored", event_id=str(envelope.event_id))
                    continue
                try:
                    await handler(envelope, uow)
                except Unprocessable as exc:
                    raise _Poisoned(envelope, str(exc)) from exc
                fresh += 1
        for action in uow.committed_actions:
            try:
                action()
            except Exception:  # what is committed stays committed: the batch is done
                log.exception("an after-commit action failed")
        return fresh
