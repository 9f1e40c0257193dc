"""dept_adapter's long-running filing work: one worker per configured department (files
pending filings, polls accepted ones, cancels on request), one for register lookups, and the
log follower that tells them what was recorded. bootstrap.py builds and wires them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.domain.health import Health
from services.dept_adapter.entrypoints.filing.follower import LogFollower
from services.dept_adapter.entrypoints.filing.scheduler import Scheduler


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
        """Work until `stop` is set."""
        schedulers = [w.scheduler for w in self.departments.values()]
        tasks = [asyncio.create_task(s.run(filings, stop)) for s in (*schedulers, self.lookups)]
        tasks.append(asyncio.create_task(self.follower.run(pool, filings, stop)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
