"""A department's circuit breaker: closed → open after `failure_threshold` consecutive
failures (no calls while open) → half-open after `open_seconds` (at most `half_open_probes`
calls at once) → closed on a success, open again on a failure."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

Clock = Callable[[], float]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    def __init__(
        self, failure_threshold: int, open_seconds: float, half_open_probes: int, clock: Clock
    ) -> None:
        self.failure_threshold, self.open_seconds = failure_threshold, open_seconds
        self.half_open_probes, self.clock = half_open_probes, clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probes = 0

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self.clock() >= self.reopens_at:
            self._state, self._probes = BreakerState.HALF_OPEN, 0
        return self._state

    @property
    def reopens_at(self) -> float:
        """When an open breaker lets a probe through."""
        return self._opened_at + self.open_seconds

    def allow(self) -> bool:
        """May a call go out now? In half-open, True takes one of the probe slots."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and self._probes < self.half_open_probes:
            self._probes += 1
            return True
        return False

    def succeeded(self) -> None:
        self._state, self._failures, self._probes = BreakerState.CLOSED, 0, 0

    def failed(self) -> None:
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
            self._state, self._opened_at, self._probes = BreakerState.OPEN, self.clock(), 0
