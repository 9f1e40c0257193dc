"""A worker: looks at every key of its schedule when it falls due, never at one key twice at
once, and at most `concurrency` at a time. One per department (its filings), one for register
lookups.

A worker never runs two looks at one filing (or lookup) at once, and looks at one only while
it holds its claim (runtime/claims.py), so neither does another replica: one another replica
holds is looked at again `standby_seconds` later — by then it is done, or that replica is gone
and its claims with it. A claim is kept from one look to the next when that one is due within
`standby_seconds`, and given up otherwise. A look's outcome is appended with the version the
stream was loaded at (under the claim, so it saw what the last holder recorded); should two
record all the same (a claim lost with its session), only one does — the other gets a
ConcurrencyConflict, reloads, and finds it done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol

import structlog

from eventlog.store import DATABASE_AWAY
from eventlog.tailing import first_of
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.domain.breaker import Clock
from services.dept_adapter.domain.schedule import NextLook, Schedule

LookAt = Callable[[FilingLog, str], Awaitable[NextLook]]


class Claims(Protocol):
    """runtime/claims.py's, on a session of the workers' own."""

    async def claim(self, key: str) -> bool: ...

    async def release(self, key: str) -> None: ...


IDLE_SECONDS = 5.0  # the longest wait between two looks at the schedule
log = structlog.get_logger()


class Scheduler:
    def __init__(
        self, look_at: LookAt, concurrency: int, clock: Clock, standby_seconds: float = 5.0
    ) -> None:
        self.clock, self._look_at, self.standby_seconds = clock, look_at, standby_seconds
        self._schedule = Schedule()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._held: set[str] = set()  # claimed and kept between two looks close together
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()

    def notice(self, key: str) -> None:
        """Something was recorded for this key: look at it (again) soon."""
        self._schedule.at(key, self.clock())
        if key in self._running:
            self._again.add(key)
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._running)

    @property
    def pending(self) -> int:
        return len(self._schedule)

    async def run(self, filings: FilingLog, claims: Claims, stop: asyncio.Event) -> None:
        self._held.clear()  # claims of an earlier session ended with it
        try:
            while not stop.is_set():
                self._wake.clear()
                now = self.clock()
                ready, soonest = self._schedule.due(now, self._running)
                for key in ready:
                    look = self._look(filings, claims, key)
                    task = self._running[key] = asyncio.create_task(look)
                    task.add_done_callback(partial(self._finished, key))
                wait = IDLE_SECONDS if soonest is None else min(IDLE_SECONDS, soonest - now)
                await first_of(self._wake, stop, timeout=wait)
        finally:
            running = list(self._running.values())
            for task in running:
                task.cancel()  # safe: appends are atomic and filings idempotent at the legacy end
            await asyncio.gather(*running, return_exceptions=True)

    async def _look(self, filings: FilingLog, claims: Claims, key: str) -> None:
        async with self._limit:
            if key not in self._held:
                try:
                    claimed = await claims.claim(key)
                except DATABASE_AWAY as exc:  # the claims' session ended: workers start again
                    log.warning("not claimed", key=key, error=f"{type(exc).__name__}")
                    claimed = False
                if not claimed:
                    self._schedule.at(key, self.clock() + self.standby_seconds)
                    return
                self._held.add(key)
            try:
                next_look = await self._look_at(filings, key)
            except BaseException:
                self._schedule.at(key, self.clock())
                self._held.discard(key)
                await claims.release(key)
                raise
            # Kept for a look due within the standby time (a replica would wait that long
            # anyway): a filing's next step is often a moment away.
            if next_look is None or next_look - self.clock() > self.standby_seconds:
                self._held.discard(key)
                await claims.release(key)
            self._schedule.then(key, next_look)

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        self._running.pop(key, None)
        if not task.cancelled() and (error := task.exception()) is not None:
            # A look ends by saying when next; one that failed before it could must not
            # leave its key waiting for nothing.
            log.error("look failed; looking again later", key=key, exc_info=error)
            self._held.discard(key)
            self._schedule.at(key, self.clock() + self.standby_seconds)
        if key in self._again:
            self._again.discard(key)
            self._schedule.at(key, self.clock())
        else:
            self._schedule.back(key)
        self._wake.set()
