"""One run's calls to a department's legacy system: retried with jittered backoff, guarded by
the department's circuit breaker, and given up as soon as the filing moved meanwhile."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry import trace

from services.dept_adapter.department import Department
from services.dept_adapter.domain.backoff import retry_wait
from services.dept_adapter.domain.filing import Filing, Work
from services.dept_adapter.domain.outcomes import Answer, Retryable

log = structlog.get_logger()


@dataclass(frozen=True)
class Exhausted:
    """Every attempt of this run failed retryably (or the breaker is open): try a later run."""

    error: str


@dataclass(frozen=True)
class Moved:
    """Something was recorded for the filing during this run: look at it again."""


class Attempts:
    def __init__(
        self,
        department: Department,
        sleep: Callable[[float], Awaitable[Any]],
        roll: Callable[[], float],
    ) -> None:
        self.department, self.sleep, self.roll = department, sleep, roll

    async def run(self, work: Work, filing: Filing) -> Answer | Exhausted | Moved:
        d, error = self.department, "circuit open"
        for attempt in range(1, d.config.max_attempts + 1):
            if attempt > 1 and await d.filings.version(filing.key) != filing.version:
                return Moved()
            if d.breaker.allow():
                answer = await self._call(work, filing)
                if not isinstance(answer, Retryable):
                    d.breaker.succeeded()
                    return answer
                d.breaker.failed()
                error = d.last_error = answer.error
                trace.get_current_span().add_event("attempt failed", {"attempt": attempt})
                log.warning("legacy call failed", work=work.value, attempt=attempt, error=error)
                retry_after = answer.retry_after
            elif work is not Work.CANCEL:
                return Exhausted(f"circuit open; last error: {d.last_error}")
            else:
                retry_after = None
            if attempt < d.config.max_attempts:
                await self._pause(attempt, retry_after)
        return Exhausted(error)

    async def _pause(self, attempt: int, retry_after: float | None) -> None:
        backoff = self.department.config.backoff
        await self.sleep(
            retry_wait(attempt, backoff.base_seconds, backoff.cap_seconds, self.roll(), retry_after)
        )

    async def _call(self, work: Work, filing: Filing) -> Answer:
        legacy = self.department.legacy
        if work is Work.SUBMIT:
            return await legacy.submit(filing)
        assert filing.receipt is not None
        if work is Work.POLL:
            return await legacy.poll(filing.receipt)
        return await legacy.cancel(filing.receipt)
