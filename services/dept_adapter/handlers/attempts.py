"""One run's calls to a department's legacy system: retried with the back-off, guarded by
the department's circuit breaker, and given up as soon as the filing moved meanwhile."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry import trace

from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.legacy import LegacySystem
from services.dept_adapter.domain.filing import Filing, Work
from services.dept_adapter.domain.health import Health
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
        legacy: LegacySystem,
        health: Health,
        max_attempts: int,
        sleep: Callable[[float], Awaitable[Any]],
    ) -> None:
        self.legacy, self.health, self.max_attempts, self.sleep = (
            legacy,
            health,
            max_attempts,
            sleep,
        )

    async def run(
        self, filings: FilingLog, work: Work, filing: Filing
    ) -> Answer | Exhausted | Moved:
        health, error = self.health, "circuit open"
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1 and await filings.version(filing.key) != filing.version:
                return Moved()
            if health.breaker.allow():
                answer = await self._call(work, filing)
                if not isinstance(answer, Retryable):
                    health.answered()
                    return answer
                error = answer.error
                health.failed(error)
                trace.get_current_span().add_event("attempt failed", {"attempt": attempt})
                log.warning("legacy call failed", work=work.value, attempt=attempt, error=error)
                retry_after = answer.retry_after
            elif work is not Work.CANCEL:
                return Exhausted(f"circuit open; last error: {health.last_error}")
            else:
                retry_after = None
            if attempt < self.max_attempts:
                await self.sleep(health.pause(attempt, retry_after))
        return Exhausted(error)

    async def _call(self, work: Work, filing: Filing) -> Answer:
        if work is Work.SUBMIT:
            return await self.legacy.submit(filing)
        assert filing.receipt is not None
        if work is Work.POLL:
            return await self.legacy.poll(filing.receipt)
        return await self.legacy.cancel(filing.receipt)
