"""A worker: looks at every key of its schedule when it falls due, never at one key twice at
once, and at most `concurrency` at a time. One per department (its filings), one for register
lookups.

A worker never runs two looks at one filing (or lookup) at once; a look's outcome is appended
with the version the stream was loaded at, so of two workers (or replicas) only one records
an outcome — the other gets a ConcurrencyConflict, reloads, and finds it done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from eventlog.tailing import first_of
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.domain.breaker import Clock
from services.dept_adapter.domain.schedule import NextLook, Schedule

LookAt = Callable[[FilingLog, str], Awaitable[NextLook]]
IDLE_SECONDS = 5.0  # the longest wait between two looks at the schedule


class Scheduler:
    def __init__(self, look_at: LookAt, concurrency: int, clock: Clock) -> None:
        self.clock, self._look_at = clock, look_at
        self._schedule = Schedule()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
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

    async def run(self, filings: FilingLog, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                self._wake.clear()
                now = self.clock()
                ready, soonest = self._schedule.due(now, self._running)
                for key in ready:
                    task = self._running[key] = asyncio.create_task(self._look(filings, key))
                    task.add_done_callback(partial(self._finished, key))
                wait = IDLE_SECONDS if soonest is None else min(IDLE_SECONDS, soonest - now)
                await first_of(self._wake, stop, timeout=wait)
        finally:
            running = list(self._running.values())
            for task in running:
                task.cancel()  # safe: appends are atomic and filings idempotent at the legacy end
            await asyncio.gather(*running, return_exceptions=True)

    async def _look(self, filings: FilingLog, key: str) -> None:
        async with self._limit:
            self._schedule.then(key, await self._look_at(filings, key))

    def _finished(self, key: str, _: object = None) -> None:
        self._running.pop(key, None)
        if key in self._again:
            self._again.discard(key)
            self._schedule.at(key, self.clock())
        self._wake.set()
