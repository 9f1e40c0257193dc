"""Register lookups: fetching the records an application needs from the data-sharing
platform, one batch per register, all registers of a lookup at once; then recording the
answer (RegisterLookupAnswered, published on onewindow.lookup-results).

Each register has the resilience a department has: a time-out per call, retries with
jittered back-off, a circuit breaker and a concurrency cap. Unlike a filing, a lookup never
waits for a register to come back: after its attempts (or at once while the breaker is open)
the register answers "unavailable", and the router asks the applicant to upload the material
instead — a register that is down never stalls an application. Lookups are reads, so a run
cut short by a restart simply runs again.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from contracts.events import DatasetAnswer, DatasetLookup, RegisterLookupAnswered
from eventlog.store import ConcurrencyConflict
from runtime.tracing import continuing
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.sharing import Register
from services.dept_adapter.config import RegisterConfig
from services.dept_adapter.department import SERVICE
from services.dept_adapter.domain.backoff import retry_wait
from services.dept_adapter.domain.breaker import CircuitBreaker, Clock
from services.dept_adapter.domain.filing import answering
from services.dept_adapter.domain.lookup import Lookup
from services.dept_adapter.domain.outcomes import Retryable, Terminal
from services.dept_adapter.domain.sharing import Records
from services.dept_adapter.metrics import measured

log = structlog.get_logger()
PROTOCOL = "sharing"


@dataclass
class RegisterCalls:
    """One register as the lookups share it: its endpoint, breaker, cap and last error."""

    dataset: str
    config: RegisterConfig
    register: Register
    breaker: CircuitBreaker
    limit: asyncio.Semaphore = field(init=False)
    last_error: str | None = None

    def __post_init__(self) -> None:
        self.limit = asyncio.Semaphore(self.config.concurrency)

    @classmethod
    def of(
        cls, dataset: str, config: RegisterConfig, register: Register, clock: Clock
    ) -> RegisterCalls:
        b = config.breaker
        breaker = CircuitBreaker(b.failure_threshold, b.open_seconds, b.half_open_probes, clock)
        return cls(dataset, config, register, breaker)

    def status(self) -> dict[str, Any]:
        return {"breaker": self.breaker.state.value, "last_error": self.last_error}


class LookupWork:
    def __init__(
        self,
        log_: FilingLog,
        registers: Mapping[str, RegisterCalls],
        due: dict[str, float],
        clock: Clock = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        roll: Callable[[], float] = random.random,
    ) -> None:
        self.log, self.registers, self.due, self.clock = log_, registers, due, clock
        self.sleep, self.roll = sleep, roll

    async def look_at(self, key: str) -> None:
        with structlog.contextvars.bound_contextvars(lookup_key=key):
            try:
                await self._answer(key)
            except Exception:
                log.exception("lookup failed; retrying later")
                self.due[key] = self.clock() + 1.0

    async def _answer(self, key: str) -> None:
        lookup = await self.log.lookup(key)
        if lookup is None or lookup.answered:
            self.due.pop(key, None)
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
                await self.log.answer(lookup, [answering(answered, lookup.requested, SERVICE)])
            except ConcurrencyConflict:
                log.info("lookup answered meanwhile by another worker")
        self.due.pop(key, None)

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
        config, attempts, error = calls.config, 0, ""
        idempotency_key = f"{lookup.key}:{index}"
        application_id = lookup.requested.application_id
        for attempt in range(1, config.max_attempts + 1):
            if not calls.breaker.allow():
                return f"circuit open; last error: {calls.last_error}", attempts
            attempts += 1
            answer = await measured(
                (part.dataset, PROTOCOL, "lookup"),
                lambda: calls.register.look_up(
                    part, lookup.request.matter, application_id, idempotency_key
                ),
            )
            if not isinstance(answer, Retryable):
                calls.breaker.succeeded()  # the register answered
                if isinstance(answer, Terminal):
                    calls.last_error = answer.error
                    return answer.error, attempts
                return answer, attempts
            calls.breaker.failed()
            error = calls.last_error = answer.error
            log.warning("register call failed", dataset=part.dataset, attempt=attempt, error=error)
            if attempt < config.max_attempts:
                backoff = config.backoff
                await self.sleep(
                    retry_wait(
                        attempt, backoff.base_seconds, backoff.cap_seconds, self.roll(),
                        answer.retry_after,
                    )
                )  # fmt: skip
        return error, attempts
