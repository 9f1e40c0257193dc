"""Register lookups: fetching the records an application needs from the data-sharing
platform, one batch per register, all registers of a lookup at once; then recording the
answer (RegisterLookupAnswered, published on onewindow.lookup-results).

Each register has the resilience a department has: a time-out per call, retries with
jittered back-off, a circuit breaker and a concurrency cap. Unlike a filing, a lookup does not
wait for a register to come back for as long as it takes: after its attempts or its time
(`give_up_seconds`, waiting for an open breaker included) the register answers "unavailable",
and the router asks the applicant to upload the material instead — a register that is down
never stalls an application, while a flaky one is ridden out by the retries. Lookups are
reads, so a run cut short by a restart simply runs again.
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
from services.dept_adapter.domain.breaker import BreakerState, CircuitBreaker, Clock
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
        """Calls until the register answers, or `max_attempts` calls or `give_up_seconds`
        are spent; while the breaker holds calls back, wait for it within that time."""
        config, breaker, attempts = calls.config, calls.breaker, 0
        give_up_at = self.clock() + config.give_up_seconds
        idempotency_key = f"{lookup.key}:{index}"
        application_id = lookup.requested.application_id
        while True:
            if breaker.allow():
                attempts += 1
                answer = await measured(
                    (part.dataset, PROTOCOL, "lookup"),
                    lambda: calls.register.look_up(
                        part, lookup.request.matter, application_id, idempotency_key
                    ),
                )
                if not isinstance(answer, Retryable):
                    breaker.succeeded()  # the register answered
                    if isinstance(answer, Terminal):
                        calls.last_error = answer.error
                        return answer.error, attempts
                    return answer, attempts
                breaker.failed()
                calls.last_error = answer.error
                log.warning(
                    "register call failed", dataset=part.dataset, attempt=attempts,
                    error=answer.error,
                )  # fmt: skip
                if attempts >= config.max_attempts:
                    return answer.error, attempts
                backoff = config.backoff
                wait = retry_wait(
                    attempts, backoff.base_seconds, backoff.cap_seconds, self.roll(),
                    answer.retry_after,
                )  # fmt: skip
            else:  # open: until it lets a probe through; half-open: until the probe is done
                wait = max(breaker.reopens_at - self.clock(), config.backoff.base_seconds)
            if self.clock() + wait > give_up_at:
                return self._gave_up(calls), attempts
            await self.sleep(wait)

    @staticmethod
    def _gave_up(calls: RegisterCalls) -> str:
        if calls.breaker.state is BreakerState.CLOSED:
            return calls.last_error or "no answer in time"
        return f"circuit open; last error: {calls.last_error}"
