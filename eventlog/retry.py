"""The one back-off policy: exponential growth with full jitter, capped.

The wait after failed attempt n (1-based) is uniform in [floor, min(cap, first · 2^(n-1))):
full jitter spreads the retries of many callers that failed together (a database or broker
coming back) instead of letting them return in lock-step.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first: float = 0.2
    cap: float = 30.0
    floor: float = 0.0
    draw: Callable[[], float] = random.random  # uniform in [0, 1)

    def __post_init__(self) -> None:
        if not 0 <= self.floor <= self.first <= self.cap:
            raise ValueError("a back-off needs 0 ≤ floor ≤ first ≤ cap")

    def ceiling(self, attempt: int) -> float:
        if attempt < 1:
            raise ValueError("attempts count from 1")
        return min(self.cap, self.first * 2.0 ** min(attempt - 1, 62))

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt `attempt`."""
        ceiling = self.ceiling(attempt)
        return self.floor + self.draw() * (ceiling - self.floor)
