"""dept_adapter's own metrics (docs/metrics.md): every call to a legacy system or to a
register timed and classified, and each department's and register's circuit breaker (a
register is labelled `department` by its dataset, protocol `sharing`, call `lookup`); the
shared ones: runtime/metrics.py."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Protocol, TypeVar

from prometheus_client import Counter, Gauge, Histogram

from runtime.metrics import REGISTRY, series_names
from services.dept_adapter.adapters.legacy import LegacySystem
from services.dept_adapter.domain.breaker import CircuitBreaker
from services.dept_adapter.domain.filing import Filing
from services.dept_adapter.domain.measures import BREAKER_GAUGE, call_outcome
from services.dept_adapter.domain.outcomes import Answer, Retryable, Terminal

LABELS = ["department", "protocol", "call"]
CALL_DURATION = Histogram(
    "onewindow_adapter_call_duration_seconds",
    "Seconds one call to a department's legacy system took, by how it ended"
    " (outcome: answered, retryable, terminal).",
    [*LABELS, "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
CALL_ERRORS = Counter(
    "onewindow_adapter_call_errors",
    "Failed calls to a department's legacy system by kind: timeout, connection,"
    " unavailable (5xx, 429, soap:Server), terminal (4xx, soap:Client, unreadable answer).",
    [*LABELS, "kind"],
    registry=REGISTRY,
)
BREAKER_STATE = Gauge(
    "onewindow_adapter_circuit_state",
    "A department's circuit breaker: 0 closed, 1 half-open, 2 open.",
    ["department"],
    registry=REGISTRY,
)

METRICS = series_names(CALL_DURATION, CALL_ERRORS, BREAKER_STATE)


class Guarded(Protocol):
    """What calls a system through a breaker (a department's worker, a register's lookups)."""

    breaker: CircuitBreaker


A = TypeVar("A")


def watch_breakers(guarded: Mapping[str, Guarded]) -> None:
    """Each scrape reads the breakers' state as it is then (open turns half-open by time)."""
    for department, calls in guarded.items():
        BREAKER_STATE.labels(department).set_function(partial(_gauge_value, calls.breaker))


def _gauge_value(breaker: CircuitBreaker) -> float:
    return BREAKER_GAUGE[breaker.state]


class MeasuredLegacySystem:
    """A department's legacy system whose every call is timed and classified."""

    def __init__(self, legacy: LegacySystem, department: str, protocol: str) -> None:
        self.legacy, self.department, self.protocol = legacy, department, protocol

    async def submit(self, filing: Filing) -> Answer:
        return await self._measured("submit", partial(self.legacy.submit, filing))

    async def poll(self, receipt: str) -> Answer:
        return await self._measured("poll", partial(self.legacy.poll, receipt))

    async def cancel(self, receipt: str) -> Answer:
        return await self._measured("cancel", partial(self.legacy.cancel, receipt))

    async def _measured(self, call: str, send: Callable[[], Awaitable[Answer]]) -> Answer:
        return await measured((self.department, self.protocol, call), send)


async def measured(
    labels: tuple[str, str, str], send: Callable[[], Awaitable[A | Retryable | Terminal]]
) -> A | Retryable | Terminal:
    """`send`'s answer, its duration and its error counted under `labels`."""
    started = time.perf_counter()
    answer = await send()
    outcome, error = call_outcome(answer)
    CALL_DURATION.labels(*labels, outcome).observe(time.perf_counter() - started)
    if error is not None:
        CALL_ERRORS.labels(*labels, error).inc()
    return answer
