"""The runner: one worker per configured department, fed by a tail of the filing streams.

It tails dept_adapter's own log by position (positions follow commit order, so nothing is
skipped), waking on the store's pg_notify channel and rescanning every `rescan_seconds`
in case a notification was missed. At start it reads from position 0, so filings pending,
in polling, or awaiting cancellation before a restart are picked up again. Every replica's
runner notices every filing; a worker works one only while it holds its claim (worker.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import asyncpg
import httpx
import structlog

from contracts.events import FilingCancelled, SubtaskAccepted
from runtime.claims import Claims
from runtime.tracing import instrument_http_client
from services.dept_adapter.adapters.filing_log import FilingLog, LoggedEvent
from services.dept_adapter.adapters.legacy import legacy_system
from services.dept_adapter.config import DepartmentConfig, DeptAdapterSettings
from services.dept_adapter.domain.breaker import Clock
from services.dept_adapter.domain.events import (
    AnswerWithheld,
    CancellationRequested,
    FilingRequested,
)
from services.dept_adapter.domain.filing import RESULTS
from services.dept_adapter.metrics import MeasuredLegacySystem, watch_breakers
from services.dept_adapter.worker import FILING_CLAIMS, DepartmentWorker, first_of

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


class Runner:
    def __init__(
        self,
        settings: DeptAdapterSettings,
        departments: Mapping[str, DepartmentConfig],
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings, self.departments, self.clock = settings, dict(departments), clock
        self.filings: FilingLog | None = None
        self.workers: dict[str, DepartmentWorker] = {}

    def status(self) -> dict[str, dict[str, Any]]:
        return {d: w.status() for d, w in sorted(self.workers.items())}

    async def run(self, pool: asyncpg.Pool, stop: asyncio.Event) -> None:
        """Work until `stop` is set. Raises ConnectionError when the connection holding the
        filings' claims ended: the work under way stops, and the runner is started again."""
        self.filings = filings = FilingLog(pool)
        s = self.settings
        async with instrument_http_client(httpx.AsyncClient()) as http, pool.acquire() as conn:
            claims = Claims(conn, FILING_CLAIMS)
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
            watch_breakers(self.workers)
            tasks = [asyncio.create_task(w.run(stop)) for w in self.workers.values()]
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
        for event in batch:
            if event.department not in self.workers:
                continue
            if event.event_type in OPENING:
                open_[event.filing_key] = event.department
            elif event.event_type in CLOSING:
                open_.pop(event.filing_key, None)
        for key, department in open_.items():
            self.workers[department].notice(key)


async def _while_claims_held(claims: Claims, stop: asyncio.Event) -> None:
    await first_of(claims.ended, stop, timeout=None)
    if claims.ended.is_set() and not stop.is_set():
        raise ConnectionError("the connection holding the filings' claims ended")
