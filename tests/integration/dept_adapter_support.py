"""Fixtures of the dept_adapter integration tests: the real legacy_sim as a process, and the
adapter's filing workers and HTTP app (uvicorn, a free port) on the test's PostgreSQL schema,
wired as bootstrap.py wires them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from fastapi import FastAPI
from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskCancelled, SubtaskDispatched
from eventlog.inbox import Inbox
from eventlog.store import EventStore
from onewindow.embedded.ports import free_port
from onewindow.serving import serving
from runtime.clock import SYSTEM_CLOCK
from runtime.consumer import by_event_type
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.bootstrap import filing_workers
from services.dept_adapter.entrypoints.filing import FilingWorkers
from services.dept_adapter.entrypoints.http import routes
from services.dept_adapter.handlers.inbox import inbox_handlers
from services.dept_adapter.settings import HERE, DeptAdapterSettings, parse_departments
from tests.conftest import ROOT

SIM_BEHAVIOUR = {"latency_ms": 0, "jitter_ms": 0, "processing_delay_ms": 100}
FAST = {
    "timeout_seconds": 2,
    "max_attempts": 3,
    "backoff": {"base_seconds": 0.01, "cap_seconds": 0.05},
    "breaker": {"failure_threshold": 3, "open_seconds": 1.0},
    "poll_interval_seconds": 0.05,
}
SECRET = "onewindow-legacy-sim-demo-secret"


@pytest.fixture(scope="module")
def legacy_sim() -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ONEWINDOW_LEGACY_SIM_PORT": str(port),
        "ONEWINDOW_LEGACY_SIM_ALL_DEPARTMENTS": json.dumps(SIM_BEHAVIOUR),
        "ONEWINDOW_LEGACY_SIM_CALLBACK_BACKOFF_MS": "50",
        "ONEWINDOW_LEGACY_SIM_LOG_LEVEL": "warning",
        "ONEWINDOW_LEGACY_SIM_SMTP_PORT": "0",  # no mail here; 8025 may be taken
    }
    process = subprocess.Popen([sys.executable, "-m", "services.legacy_sim"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/_control/amr", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("legacy_sim did not start")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Adapter:
    pool: asyncpg.Pool
    workers: FilingWorkers
    sim: httpx.AsyncClient
    url: str
    inbox: Inbox
    departments: frozenset[str]

    async def deliver(self, *envelopes: Envelope) -> None:
        """What the Kafka consumer does: the inbox handlers, in one transaction."""
        _, rejected = await self.inbox.process(
            envelopes, by_event_type(inbox_handlers(self.departments))
        )
        assert rejected == []

    async def dispatch(
        self,
        department: str,
        subtask: str,
        inputs: dict[str, Any] | None = None,
        materials: tuple[str, ...] = (),
        key: str | None = None,
        send: bool = True,
    ) -> Envelope:
        app = uuid7()
        event = SubtaskDispatched(
            subtask=subtask,
            department=department,
            title="办理",
            time_limit_days=1,
            filing_key=key or f"{app}:{subtask}:1",
            inputs=inputs or {},
            materials=materials,
        )
        envelope = Envelope.new(event, application_id=app, producer="router")
        if send:
            await self.deliver(envelope)
        return envelope

    def cancel(self, dispatched: Envelope) -> Envelope:
        p = dispatched.payload
        event = SubtaskCancelled(
            subtask=p["subtask"],
            department=p["department"],
            filing_key=p["filing_key"],
            reason="另一部门不予办理",
        )
        return Envelope.new(event, application_id=dispatched.application_id, producer="router")

    async def stream(self, filing_key: str) -> list[Envelope]:
        return [r.envelope for r in await EventStore(self.pool).read(f"filing-{filing_key}")]

    async def wait_for(self, filing_key: str, event_type: str) -> Envelope:
        async with asyncio.timeout(15):
            while True:
                for envelope in await self.stream(filing_key):
                    if envelope.event_type == event_type:
                        return envelope
                await asyncio.sleep(0.02)

    async def ledger(self, department: str, key: str) -> dict[str, int] | None:
        counts: dict[str, dict[str, dict[str, int]]] = (
            await self.sim.get("/_control/filings")
        ).json()
        return counts.get(department, {}).get(key)

    async def configure(self, department: str, **behaviour: Any) -> None:
        answer = await self.sim.post(f"/_control/{department}", json=behaviour)
        assert answer.status_code == 200, answer.text

    async def departments_state(self) -> dict[str, dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            state: dict[str, dict[str, Any]] = (await http.get("/departments")).json()
        return state


@asynccontextmanager
async def running(
    pool: asyncpg.Pool,
    sim_url: str,
    port: int,
    overrides: dict[str, Any] | None = None,
    *,
    work: bool = True,
) -> AsyncIterator[FilingWorkers]:
    """The adapter's filing workers (unless not `work`) and HTTP app, as the service runs
    them; stopped on exit."""
    settings = DeptAdapterSettings(
        legacy_base_url=sim_url, adapter_public_url=f"http://127.0.0.1:{port}", rescan_seconds=0.5
    )
    shipped = yaml.safe_load((HERE / "departments.yaml").read_text(encoding="utf-8"))
    own = {d: {**c, **(overrides or {}).get(d, {})} for d, c in shipped["departments"].items()}
    departments = parse_departments({"defaults": FAST, "departments": own})
    filings, stop = FilingLog(pool), asyncio.Event()
    async with httpx.AsyncClient() as http:
        workers = filing_workers(settings, departments, {}, http)
        app = FastAPI()
        app.include_router(routes(workers, lambda _: filings, SECRET.encode(), SYSTEM_CLOCK))
        tasks = [asyncio.create_task(workers.run(pool, filings, stop))] if work else []
        try:
            async with serving(app, port):
                yield workers
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 10)


@asynccontextmanager
async def adapter_on(
    pool: asyncpg.Pool, sim_url: str, overrides: dict[str, Any] | None = None, reset: bool = True
) -> AsyncIterator[Adapter]:
    async with httpx.AsyncClient(base_url=sim_url) as sim:
        if reset:
            assert (await sim.post("/_control/reset")).status_code == 200
        port = free_port()
        async with running(pool, sim_url, port, overrides) as workers:
            yield Adapter(
                pool,
                workers,
                sim,
                f"http://127.0.0.1:{port}",
                Inbox(pool, "dept_adapter.filing"),
                frozenset(workers.departments),
            )


@pytest.fixture
async def adapter(pool: asyncpg.Pool, legacy_sim: str) -> AsyncIterator[Adapter]:
    async with adapter_on(pool, legacy_sim) as adapter:
        yield adapter
