"""The simulator's state and the steps every protocol shares: count, delay, fault, file, stall."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from runtime.http_client import HttpClient
from services.legacy_sim.config import Behaviours, DepartmentBehaviour, LegacySimSettings
from services.legacy_sim.domain.decisions import FilingRequest
from services.legacy_sim.domain.faults import (
    InjectedFault,
    choose_fault,
    latency_seconds,
    times_out,
)
from services.legacy_sim.domain.ledger import Filing, FilingLedger
from services.legacy_sim.domain.numbers import reference
from services.legacy_sim.domain.received import Received
from services.legacy_sim.domain.rules import decide

log = logging.getLogger("onewindow.legacy_sim")
CHINA = timezone(timedelta(hours=8))


class UnknownDepartment(LookupError):
    pass


@dataclass
class CallbackDelivery:
    department: str
    receipt: str
    url: str
    attempts: int = 0
    state: Literal["pending", "delivered", "failed", "cancelled"] = "pending"
    last_error: str | None = None


class Simulator:
    def __init__(
        self,
        settings: LegacySimSettings,
        behaviours: dict[str, DepartmentBehaviour],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.behaviours = Behaviours(behaviours, UnknownDepartment)
        self.ledger = FilingLedger()
        self.deliveries: dict[str, CallbackDelivery] = {}
        self.received = Received()
        self._forgetters: list[Callable[[], None]] = []
        self._decided: list[Callable[[FilingRequest, Filing], None]] = []
        self.now = clock
        self._dice = random.Random(settings.seed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: HttpClient | None = None

    def on_reset(self, forget: Callable[[], None]) -> None:
        """``forget`` runs on every reset, e.g. to drop the answers a protocol stored."""
        self._forgetters.append(forget)

    def on_decided(self, listener: Callable[[FilingRequest, Filing], None]) -> None:
        """``listener`` hears of every new filing with its decision, e.g. to update a register."""
        self._decided.append(listener)

    def behaviour(self, department: str) -> DepartmentBehaviour:
        return self.behaviours[department]

    async def admit(self, department: str, key: str | None) -> InjectedFault | None:
        """Count the request (when it carries a key), wait the latency, maybe inject a fault."""
        b = self.behaviour(department)
        attempt = self.ledger.receive(department, key) if key is not None else None
        return await self.delay_and_fault(b, attempt)

    async def delay_and_fault(
        self, b: DepartmentBehaviour, attempt: int | None
    ) -> InjectedFault | None:
        """Wait the latency, maybe inject a fault; ``fail_first`` needs the attempt's number."""
        await asyncio.sleep(latency_seconds(b.latency_ms, b.jitter_ms, self._dice.random()))
        return choose_fault(
            fail_first=b.fail_first if attempt is not None else 0,
            error_rate=b.error_rate,
            attempt=attempt or 1,
            roll=self._dice.random(),
            status_roll=self._dice.random(),
        )

    async def stall_maybe(self, department: str) -> None:
        """The filing is made, but the answer comes too late for the client (a time-out)."""
        stall = self.stall_seconds(self.behaviour(department))
        if stall:
            await asyncio.sleep(stall)

    def stall_seconds(self, b: DepartmentBehaviour) -> float:
        """How long to hold the answer back: 0, or the behaviour's stall (``timeout_rate``)."""
        return b.timeout_seconds if times_out(b.timeout_rate, self._dice.random()) else 0.0

    def file(self, request: FilingRequest) -> tuple[Filing, bool]:
        dept, key = request.department, request.idempotency_key
        b = self.behaviour(dept)

        def make() -> Filing:
            return Filing(
                department=dept,
                idempotency_key=key,
                receipt=reference(dept.upper(), f"{dept}:{key}"),
                application_id=request.application_id,
                subtask=request.subtask,
                decision=decide(
                    request, b.materials_for(request.subtask), datetime.now(CHINA).date()
                ),
                ready_at=self.now() + b.processing_delay_ms / 1000,
            )

        filing, new = self.ledger.file(dept, key, make)
        if new:
            for listener in self._decided:
                listener(request, filing)
        return filing, new

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    def http(self) -> HttpClient:
        if self._http is None:
            self._http = HttpClient()
        return self._http

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def reset(self) -> None:
        await self._cancel_tasks()
        self.ledger.clear()
        self.deliveries.clear()
        self.received.clear()
        for forget in self._forgetters:
            forget()
        self.behaviours.reset()

    async def close(self) -> None:
        await self._cancel_tasks()
        if self._http is not None:
            await self._http.aclose()
            self._http = None
