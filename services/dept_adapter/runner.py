"""The runner: one worker per configured department and one for register lookups, fed by a
tail of the filing and lookup streams.

It tails dept_adapter's own log by position (positions follow commit order, so nothing is
skipped), waking on the store's pg_notify channel and rescanning every `rescan_seconds`
in case a notification was missed. At start it reads from position 0, so filings pending,
in polling, or awaiting cancellation before a restart, and lookups not answered yet, are
picked up again. Every replica's runner notices every filing and lookup; a worker works one
only while it holds its claim (worker.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import asyncpg
import httpx
import structlog

from contracts.events import FilingCancelled, RegisterLookupAnswered, SubtaskAccepted
from runtime.claims import Claims
from runtime.tracing import instrument_http_client
from services.dept_adapter.adapters.filing_log import FilingLog, LoggedEvent
from services.dept_adapter.adapters.legacy import legacy_system
from services.dept_adapter.adapters.sharing import Register
from services.dept_adapter.config import DepartmentConfig, DeptAdapterSettings, RegisterConfig
from services.dept_adapter.domain.breaker import Clock
from services.dept_adapter.domain.events import (
    AnswerWithheld,
    CancellationRequested,
    FilingRequested,
    LookupRequested,
)
from services.dept_adapter.domain.filing import RESULTS
from services.dept_adapter.lookups import LookupWork, RegisterCalls
from services.dept_adapter.metrics import MeasuredLegacySystem, watch_breakers
from services.dept_adapter.worker import LOOKUP_CLAIMS, DepartmentWorker, Scheduler, first_of

log = structlog.get_logger()
TAIL_BATCH = 1000
# Events after which a filing may need a call, and those after which it needs none
# (unless a later one reopens it). The worker always reloads the stream before acting.
OPENING = frozenset(
    {
        FilingRequested.event_type,
        CancellationRequested.event_type,
        AnswerWithheld.event_type,
        SubtaskAccepted.event_type,
    }
)
CLOSING = RESULTS | {FilingCancelled.event_type}
LOOKUP_CONCURRENCY = 64  # lookups worked at once; each register caps its own calls


class Runner:
    def __init__(
        self,
        settings: DeptAdapterSettings,
        departments: Mapping[str, DepartmentConfig],
        registers: Mapping[str, RegisterConfig] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings, self.departments, self.clock = settings, dict(departments), clock
        self.registers = dict(registers or {})
        self.filings: FilingLog | None = None
        self.workers: dict[str, DepartmentWorker] = {}
        self.register_calls: dict[str, RegisterCalls] = {}
        self.lookups: Scheduler | None = None

    def status(self) -> dict[str, dict[str, Any]]:
        return {d: w.status() for d, w in sorted(self.workers.items())}

    def registers_status(self) -> dict[str, dict[str, Any]]:
        return {d: c.status() for d, c in sorted(self.register_calls.items())}

    async def run(self, pool: asyncpg.Pool, stop: asyncio.Event) -> None:
        """Work until `stop` is set. Raises ConnectionError when the connection holding the
        claims ended: the work under way stops, and the runner is started again."""
        self.filings = filings = FilingLog(pool)
        s = self.settings
        async with instrument_http_client(httpx.AsyncClient()) as http, pool.acquire() as conn:
            claims = Claims(conn)
            self.workers = {
                d: DepartmentWorker(
                    d, c, MeasuredLegacySystem(
                        legacy_system(http, c, s.legacy_base_url, s.adapter_public_url, d),
                        d, c.protocol,
                    ),
                    filings, claims, self.clock, standby_seconds=s.rescan_seconds,
                )
                for d, c in self.departments.items()
            }  # fmt: skip
            token = s.sharing_token.get_secret_value()
            self.register_calls = {
                d: RegisterCalls.of(d, c, Register(http, d, c, s.platform_url, token), self.clock)
                for d, c in self.registers.items()
            }
            due: dict[str, float] = {}
            work = LookupWork(filings, self.register_calls, due, self.clock)
            self.lookups = lookups = Scheduler(
                due, LOOKUP_CONCURRENCY, work.look_at, self.clock,
                claims, LOOKUP_CLAIMS, s.rescan_seconds,
            )  # fmt: skip
            watch_breakers({**self.register_calls, **self.workers})
            tasks = [asyncio.create_task(w.run(stop)) for w in (*self.workers.values(), lookups)]
            tasks.append(asyncio.create_task(self._tail(pool, filings, stop)))
            tasks.append(asyncio.create_task(_while_claims_held(claims, stop)))
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                claims.close()

    async def _tail(self, pool: asyncpg.Pool, filings: FilingLog, stop: asyncio.Event) -> None:
        wake, position = asyncio.Event(), 0
        async with pool.acquire() as listener:
            channel = await listener.fetchval("SELECT current_schema()") + ".events"

            def on_notify(*_: object) -> None:
                wake.set()

            await listener.add_listener(channel, on_notify)
            try:
                while not stop.is_set():
                    wake.clear()
                    try:
                        batch = await filings.tail(position, TAIL_BATCH)
                    except (OSError, asyncpg.PostgresError) as exc:
                        log.warning("cannot read the filing log", error=str(exc))
                        batch = []
                    self._notice(batch)
                    position = batch[-1].position if batch else position
                    if len(batch) < TAIL_BATCH:
                        await first_of(wake, stop, timeout=self.settings.rescan_seconds)
            finally:
                await listener.remove_listener(channel, on_notify)

    def _notice(self, batch: list[LoggedEvent]) -> None:
        open_: dict[str, str] = {}
        lookups: set[str] = set()
        for event in batch:
            if event.lookup_key is not None:
                if event.event_type == LookupRequested.event_type:
                    lookups.add(event.lookup_key)
                elif event.event_type == RegisterLookupAnswered.event_type:
                    lookups.discard(event.lookup_key)
            elif event.department not in self.workers:
                continue
            elif event.event_type in OPENING:
                open_[event.filing_key] = event.department
            elif event.event_type in CLOSING:
                open_.pop(event.filing_key, None)
        for key, department in open_.items():
            self.workers[department].notice(key)
        for key in lookups:
            if self.lookups is not None:
                self.lookups.notice(key)


async def _while_claims_held(claims: Claims, stop: asyncio.Event) -> None:
    await first_of(claims.ended, stop, timeout=None)
    if claims.ended.is_set() and not stop.is_set():
        raise ConnectionError("the connection holding the claims ended")
