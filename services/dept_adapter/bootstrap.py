"""The composition root of dept_adapter: the departments' and registers' files, the HTTP
client of the legacy systems and the registers, the filing workers, the inbox consumer and
the routes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from functools import cache

import asyncpg
from fastapi import Request

from contracts.topics import LOOKUP_RESULTS, LOOKUPS, TASK_RESULTS, tasks_topic
from runtime.clock import SYSTEM_CLOCK, clock_from
from runtime.clock import Clock as WallClock
from runtime.consumer import Consumer, by_event_type
from runtime.http_client import HttpClient
from runtime.service import Service
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.legacy import legacy_system
from services.dept_adapter.adapters.sharing import Register
from services.dept_adapter.domain.breaker import Clock
from services.dept_adapter.entrypoints.filing import DepartmentWorker, FilingWorkers
from services.dept_adapter.entrypoints.filing.scheduler import Scheduler
from services.dept_adapter.entrypoints.http import routes
from services.dept_adapter.handlers.attempts import Attempts
from services.dept_adapter.handlers.filing import FilingWork
from services.dept_adapter.handlers.inbox import filing_streams, inbox_handlers
from services.dept_adapter.handlers.lookup import LookupWork, RegisterCalls
from services.dept_adapter.metrics import MeasuredLegacySystem, watch_breakers
from services.dept_adapter.settings import (
    DepartmentConfig,
    DeptAdapterSettings,
    RegisterConfig,
    load_departments,
    load_registers,
)

__all__ = ["DeptAdapterSettings", "build", "filing_workers"]

LOOKUP_CONCURRENCY = 64  # lookups worked at once; each register caps its own calls


def filing_workers(
    settings: DeptAdapterSettings,
    departments: Mapping[str, DepartmentConfig],
    registers: Mapping[str, RegisterConfig],
    http: HttpClient,
    clock: Clock = time.monotonic,
    wall_clock: WallClock = SYSTEM_CLOCK,
) -> FilingWorkers:
    """One worker per department, with its plug-in (legacy system), its health and its
    handler; the lookup worker with every register; their breakers watched by the metrics.
    `clock` times looks and back-offs; `wall_clock` stamps what is recorded."""
    s = settings
    workers = {}
    for department, config in departments.items():
        legacy = MeasuredLegacySystem(
            legacy_system(http, config, s.legacy_base_url, s.adapter_public_url, department),
            department,
            config.protocol,
        )
        health = config.health(clock)
        attempts = Attempts(legacy, health, config.max_attempts, asyncio.sleep)
        work = FilingWork(department, config, legacy, health, attempts, clock, wall_clock)
        scheduler = Scheduler(work.look_at, config.concurrency, clock, s.rescan_seconds)
        workers[department] = DepartmentWorker(config.protocol, health, scheduler)
    token = s.sharing_token.get_secret_value()
    calls = {
        dataset: RegisterCalls(
            dataset,
            config,
            Register(http, dataset, config, s.platform_url, token),
            config.health(clock),
        )
        for dataset, config in registers.items()
    }
    lookup_work = LookupWork(calls, clock, wall_clock=wall_clock)
    lookups = Scheduler(lookup_work.look_at, LOOKUP_CONCURRENCY, clock, s.rescan_seconds)
    healths = {d: w.health for d, w in workers.items()}
    register_healths = {d: c.health for d, c in calls.items()}
    watch_breakers({**register_healths, **healths})
    return FilingWorkers(workers, lookups, register_healths, s.rescan_seconds)


def build(settings: DeptAdapterSettings | None = None) -> Service:
    """Raises DepartmentsConfigError, naming the department (or register) and field, on a bad
    config file."""
    settings = settings or DeptAdapterSettings()
    departments = load_departments(settings.departments_file)
    http = HttpClient()
    wall_clock = clock_from(settings.clock_file)
    registers = load_registers(settings.registers_file)
    workers = filing_workers(settings, departments, registers, http, wall_clock=wall_clock)

    @cache
    def filing_log(pool: asyncpg.Pool) -> FilingLog:
        """One per pool: the callbacks' and the workers' appends are committed together."""
        return FilingLog(pool)

    def filings_of(request: Request) -> FilingLog:
        service: Service = request.app.state.service
        return filing_log(service.pool)

    async def file_with_departments(service: Service, stop: asyncio.Event) -> None:
        try:
            await workers.run(service.pool, filing_log(service.pool), stop)
        finally:
            if stop.is_set():  # the service stops; a part that failed starts again with it
                await http.aclose()

    # psb is never among them: its legacy system consumes onewindow.tasks.psb itself.
    topics = [*(tasks_topic(d) for d in sorted(departments)), LOOKUPS]
    return Service(
        "dept_adapter",
        settings,
        consumers=[
            Consumer(
                "filing",
                topics,
                by_event_type(inbox_handlers(departments, wall_clock)),
                streams_of=filing_streams,
            )
        ],
        publishes_to=[TASK_RESULTS, LOOKUP_RESULTS],
        routers=[
            routes(
                workers,
                filings_of,
                settings.callback_secret.get_secret_value().encode(),
                wall_clock,
            )
        ],
        background={"filing": file_with_departments},
    )
