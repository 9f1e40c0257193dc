"""The workers: one per department (files pending filings, polls accepted ones, cancels on
request), and one for register lookups, on one scheduler.

A worker never runs two calls for one filing (or lookup) at once, and works one only while it
holds its claim (runtime/claims.py), so neither does another replica: one another replica
holds is looked at again `standby_seconds` later — by then it is done, or that replica is gone
and its claims with it. A call's outcome is appended with the version the stream was loaded at
(under the claim, so it saw what the last holder recorded); should two record all the same (a
claim lost with its connection), only one does — the other gets a ConcurrencyConflict,
reloads, and finds it done.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import structlog

from eventlog.store import DATABASE_AWAY
from runtime.claims import Claims
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.legacy import LegacySystem
from services.dept_adapter.attempts import Attempts
from services.dept_adapter.config import DepartmentConfig
from services.dept_adapter.department import Department
from services.dept_adapter.domain.breaker import Clock
from services.dept_adapter.filing_work import FilingWork

log = structlog.get_logger()
FILING_CLAIMS = "onewindow.filing"
LOOKUP_CLAIMS = "onewindow.lookup"


class Scheduler:
    """Looks at every key when it falls due on `due` (key → clock time), never at one key
    twice at once, at most `concurrency` at a time, and each only while it holds the key's
    claim in `namespace`; `notice(key)` makes it due now."""

    def __init__(
        self,
        due: dict[str, float],
        concurrency: int,
        look_at: Callable[[str], Awaitable[None]],
        clock: Clock,
        claims: Claims,
        namespace: str,
        standby_seconds: float = 5.0,
    ) -> None:
        self.due, self.clock, self._look_at = due, clock, look_at
        self.claims, self.namespace, self.standby_seconds = claims, namespace, standby_seconds
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()

    def notice(self, key: str) -> None:
        """Something was recorded for this key: look at it (again) soon."""
        self.due[key] = self.clock()
        if key in self._running:
            self._again.add(key)
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._running)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                self._wake.clear()
                now, wait = self.clock(), 5.0
                for key, due in list(self.due.items()):
                    if key in self._running:
                        continue
                    if due <= now:
                        self._running[key] = asyncio.create_task(self._handle(key))
                        self._running[key].add_done_callback(partial(self._finished, key))
                    else:
                        wait = min(wait, due - now)
                await first_of(self._wake, stop, timeout=wait)
        finally:
            running = list(self._running.values())
            for task in running:
                task.cancel()  # safe: appends are atomic and filings idempotent at the legacy end
            await asyncio.gather(*running, return_exceptions=True)

    def _finished(self, key: str, _: object = None) -> None:
        self._running.pop(key, None)
        if key in self._again:
            self._again.discard(key)
            self.due[key] = self.clock()
        self._wake.set()

    async def _handle(self, key: str) -> None:
        async with self._limit:
            try:
                claimed = await self.claims.claim(self.namespace, key)
            except DATABASE_AWAY as exc:  # the runner starts again on a new connection
                log.warning("not claimed", key=key, error=f"{type(exc).__name__}")
                claimed = False
            if not claimed:
                self.due[key] = self.clock() + self.standby_seconds
                return
            try:
                await self._look_at(key)
            finally:
                await self.claims.release(self.namespace, key)


class DepartmentWorker(Scheduler):
    def __init__(
        self,
        department: str,
        config: DepartmentConfig,
        legacy: LegacySystem,
        filings: FilingLog,
        claims: Claims,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        roll: Callable[[], float] = random.random,
        standby_seconds: float = 5.0,
    ) -> None:
        self.department = Department.of(department, config, legacy, filings, clock)
        self.breaker = self.department.breaker
        work = FilingWork(self.department, Attempts(self.department, sleep, roll))
        super().__init__(
            self.department.due, config.concurrency, work.look_at, clock,
            claims, FILING_CLAIMS, standby_seconds,
        )  # fmt: skip

    def status(self) -> dict[str, Any]:
        return {
            "protocol": self.department.config.protocol,
            "breaker": self.breaker.state.value,
            "in_flight": self.in_flight,
            "pending": len(self.due),
            "last_error": self.department.last_error,
        }


async def first_of(*events: asyncio.Event, timeout: float | None) -> None:
    """Return once one of `events` is set or `timeout` seconds (None: no limit) have passed."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    _, pending = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
