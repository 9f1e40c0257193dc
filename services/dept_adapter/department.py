"""What one department's worker and the runs it starts share: the department's plug-in (its
legacy system), the filing log, the circuit breaker, the last error, and when each filing is
next due a look (on `clock`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.legacy import LegacySystem
from services.dept_adapter.config import DepartmentConfig
from services.dept_adapter.domain.breaker import CircuitBreaker, Clock

SERVICE = "dept_adapter"


@dataclass
class Department:
    name: str
    config: DepartmentConfig
    legacy: LegacySystem
    filings: FilingLog
    clock: Clock
    breaker: CircuitBreaker
    due: dict[str, float] = field(default_factory=dict)
    last_error: str | None = None

    @classmethod
    def of(
        cls,
        name: str,
        config: DepartmentConfig,
        legacy: LegacySystem,
        filings: FilingLog,
        clock: Clock,
    ) -> Department:
        b = config.breaker
        breaker = CircuitBreaker(b.failure_threshold, b.open_seconds, b.half_open_probes, clock)
        return cls(name, config, legacy, filings, clock, breaker)

    def look_now(self, filing_key: str) -> None:
        self.due[filing_key] = self.clock()
