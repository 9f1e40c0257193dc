"""Register lookups: fetching the records an application needs from the data-sharing
platform, one batch per register, all registers of a lookup at once; then recording the
answer (RegisterLookupAnswered, published on onewindow.lookup-results).

Each register has the resilience a department has: a time-out per call, retries with
the back-off, a circuit breaker and a concurrency cap. Unlike a filing, a lookup does not
wait for a register to come back for as long as it takes: after its attempts or its time
(`give_up_seconds`, waiting for an open breaker included) the register answers "unavailable",
and the router asks the applicant to upload the material instead — a register that is down
never stalls an application, while a flaky one is ridden out by the retries. Lookups are
reads, so a run cut short by a restart simply runs again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from contracts.events import DatasetAnswer, DatasetLookup, RegisterLookupAnswered
from eventlog.store import ConcurrencyConflict
from runtime.clock import SYSTEM_CLOCK
from runtime.clock import Clock as WallClock
from runtime.tracing import continuing
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.sharing import Register
from services.dept_adapter.domain.breaker import BreakerState, Clock
from services.dept_adapter.domain.filing import answering
from services.dept_adapter.domain.health import Health
from services.dept_adapter.domain.lookup import Lookup
from services.dept_adapter.domain.outcomes import Retryable, Terminal
from services.dept_adapter.domain.schedule import NextLook
from services.dept_adapter.domain.sharing import Records
from services.dept_adapter.handlers import SERVICE
from services.dept_adapter.metrics import measured
from services.dept_adapter.settings import RegisterConfig

log = structlog.get_logger()
PROTOCOL = "sharing"
RETRY_AFTER_FAILURE_SECONDS = 1.0


@dataclass
class RegisterCalls:
    """One register as the lookups share it: its endpoint, its health and its cap."""

    dataset: str
    config: RegisterConfig
    register: Register
    health: Health
    limit: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.limit = asyncio.Semaphore(self.config.concurrency)


class LookupWork:
    def __init__(
        self,
        registers: Mapping[str, RegisterCalls],
        clock: Clock,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        wall_clock: WallClock = SYSTEM_CLOCK,
    ) -> None:
        """`clock` times attempts and waits (monotonic); `wall_clock` stamps the answers."""
        self.registers, self.clock, self.sleep = registers, clock, sleep
        self.wall_clock = wall_clock

    async def look_at(self, lookups: FilingLog, key: str) -> NextLook:
        with structlog.contextvars.bound_contextvars(lookup_key=key):
            try:
                await self._answer(lookups, key)
            except Exception:
                log.exception("lookup failed; retrying later")
                return self.clock() + RETRY_AFTER_FAILURE_SECONDS
        return None

    async def _answer(self, lookups: FilingLog, key: str) -> None:
        lookup = await lookups.lookup(key)
        if lookup is None or lookup.answered:
            return
        request = lookup.request
        attributes = {"onewindow.lookup_key": key, "onewindow.matter": request.matter}
        with continuing(
            f"lookup {request.matter}", lookup.requested.traceparent, attributes=attributes
        ):
            answers = await asyncio.gather(
                *(self._fetch(lookup, i, part) for i, part in enumerate(request.lookups))
            )
            answered = RegisterLookupAnswered(
                lookup_key=key, matter=request.matter, answers=tuple(answers)
            )
            try:
                await lookups.answer(
                    lookup, [answering(answered, lookup.requested, SERVICE, self.wall_clock.now())]
                )
            except ConcurrencyConflict:
                log.info("lookup answered meanwhile by another worker")

    async def _fetch(self, lookup: Lookup, index: int, part: DatasetLookup) -> DatasetAnswer:
        common = part.model_dump(include={"dataset", "purpose", "materials", "subtasks"})
        calls = self.registers.get(part.dataset)
        if calls is None:
            error = f"register {part.dataset!r} is not configured"
            return DatasetAnswer(**common, available=False, error=error, attempts=0)
        async with calls.limit:
            outcome, attempts = await self._attempts(calls, lookup, index, part)
        if isinstance(outcome, Records):
            return DatasetAnswer(
                **common, available=True, records=outcome.records, attempts=attempts
            )
        log.warning("register unavailable", dataset=part.dataset, error=outcome, attempts=attempts)
        return DatasetAnswer(**common, available=False, error=outcome, attempts=attempts)

    async def _attempts(
        self, calls: RegisterCalls, lookup: Lookup, index: int, part: DatasetLookup
    ) -> tuple[Records | str, int]:
        """Calls until the register answers, or `max_attempts` calls or `give_up_seconds`
        are spent; while the breaker holds calls back, wait for it within that time."""
        config, health, attempts = calls.config, calls.health, 0
        give_up_at = self.clock() + config.give_up_seconds
        idempotency_key = f"{lookup.key}:{index}"
        application_id = lookup.requested.application_id
        while True:
            if health.breaker.allow():
                attempts += 1
                answer = await measured(
                    (part.dataset, PROTOCOL, "lookup"),
                    lambda: calls.register.look_up(
                        part, lookup.request.matter, application_id, idempotency_key
                    ),
                )
                if isinstance(answer, Terminal):
                    health.answered(refusal=answer.error)
                    return answer.error, attempts
                if not isinstance(answer, Retryable):
                    health.answered()
                    return answer, attempts
                health.failed(answer.error)
                log.warning(
                    "register call failed",
                    dataset=part.dataset,
                    attempt=attempts,
                    error=answer.error,
                )
                if attempts >= config.max_attempts:
                    return answer.error, attempts
                wait = health.pause(attempts, answer.retry_after)
            else:  # open: until it lets a probe through; half-open: until the probe is done
                wait = max(health.breaker.reopens_at - self.clock(), health.backoff.first)
            if self.clock() + wait > give_up_at:
                return self._gave_up(calls), attempts
            await self.sleep(wait)

    @staticmethod
    def _gave_up(calls: RegisterCalls) -> str:
        health = calls.health
        if health.breaker.state is BreakerState.CLOSED:
            return health.last_error or "no answer in time"
        return f"circuit open; last error: {health.last_error}"
