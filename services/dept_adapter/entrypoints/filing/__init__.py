"""dept_adapter's long-running filing work: one worker per configured department (files
pending filings, polls accepted ones, cancels on request), one for register lookups, and the
log follower that tells them what was recorded. bootstrap.py builds and wires them.

Every replica's follower tells its workers of every filing and lookup; the workers' claims
(scheduler.py) are held on a session of their own, and when it ends they stop: the part fails
and is started again, with new claims."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from eventlog.tailing import first_of
from runtime.claims import Claims
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.domain.health import Health
from services.dept_adapter.entrypoints.filing.follower import LogFollower
from services.dept_adapter.entrypoints.filing.scheduler import Scheduler

FILING_CLAIMS = "onewindow.filing"
LOOKUP_CLAIMS = "onewindow.lookup"


@dataclass(frozen=True)
class DepartmentWorker:
    protocol: str
    health: Health
    scheduler: Scheduler

    def status(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "breaker": self.health.breaker.state.value,
            "in_flight": self.scheduler.in_flight,
            "pending": self.scheduler.pending,
            "last_error": self.health.last_error,
        }


class FilingWorkers:
    def __init__(
        self,
        departments: Mapping[str, DepartmentWorker],
        lookups: Scheduler,
        registers: Mapping[str, Health],
        rescan_seconds: float,
    ) -> None:
        self.departments, self.lookups, self.registers = dict(departments), lookups, registers
        schedulers = {d: w.scheduler for d, w in self.departments.items()}
        self.follower = LogFollower(schedulers, lookups, rescan_seconds)

    def status(self) -> dict[str, dict[str, Any]]:
        return {d: w.status() for d, w in sorted(self.departments.items())}

    def registers_status(self) -> dict[str, dict[str, Any]]:
        return {d: h.status() for d, h in sorted(self.registers.items())}

    async def run(self, pool: asyncpg.Pool, filings: FilingLog, stop: asyncio.Event) -> None:
        """Work until `stop` is set. Raises ConnectionError when the session holding the
        claims ended: the work under way stops."""
        async with pool.acquire() as session:
            claims = Claims(session, FILING_CLAIMS)
            lookup_claims = Claims(session, LOOKUP_CLAIMS, beside=claims)
            tasks = [
                asyncio.create_task(w.scheduler.run(filings, claims, stop))
                for w in self.departments.values()
            ]
            tasks.append(asyncio.create_task(self.lookups.run(filings, lookup_claims, stop)))
            tasks.append(asyncio.create_task(self.follower.run(pool, filings, stop)))
            tasks.append(asyncio.create_task(_while_held(claims, stop)))
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                claims.close()


async def _while_held(claims: Claims, stop: asyncio.Event) -> None:
    while not (stop.is_set() or claims.ended.is_set()):
        await first_of(claims.ended, stop, timeout=60.0)
    if not stop.is_set():
        raise ConnectionError("the session holding the claims ended")
