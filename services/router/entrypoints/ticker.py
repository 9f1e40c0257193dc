"""The clock ticker: every few seconds, the processes with a clock mark due get it recorded.

Runs in every router replica; the expected-version append makes each mark land once
(services/router/adapters/clock_marks.py). Time comes from the injected clock only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import asyncpg
import structlog

from contracts.calendar import WorkingCalendar
from contracts.catalog import Matter
from eventlog.store import ConcurrencyConflict
from runtime.clock import Clock
from runtime.service import Service, Work
from services.router.adapters import clock_marks
from services.router.domain.deadlines import Timing
from services.router.domain.replay import Replayed
from services.router.handlers import tick

log = structlog.get_logger()
BATCH = 500


def ticker(
    matters: Mapping[str, Matter], calendar: WorkingCalendar, clock: Clock, every_seconds: float
) -> Work:
    replayed = Replayed(matters)

    async def run(service: Service, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await tick_due(service.pool, replayed, matters, Timing(calendar, clock.now()))
            except (OSError, asyncpg.PostgresError, ValueError) as exc:
                # the database or the clock file is away for now: the next tick tries again
                log.error("clock tick failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_seconds)

    return run


async def tick_due(
    pool: asyncpg.Pool, replayed: Replayed, matters: Mapping[str, Matter], timing: Timing
) -> int:
    """One look at every process with a mark due by `timing.now`; returns events appended."""
    async with pool.acquire() as conn:
        due = await clock_marks.due(conn, timing.now, BATCH)
        appended = 0
        for stream in due:
            try:
                appended += await tick(conn, stream, replayed, matters, timing)
            except ConcurrencyConflict:
                log.info("another writer recorded first; looked again next tick", stream=stream)
            except (OSError, asyncpg.PostgresError):
                raise
            except Exception:
                # One process the router cannot replay must not stop every other clock; it
                # stays due, so this error comes back every tick until someone looks.
                log.exception("CLOCKS OF THIS PROCESS NOT KEPT: cannot tick it", stream=stream)
    return appended
