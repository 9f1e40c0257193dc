"""Which fault a simulated legacy system injects into one request; pure, rolls passed in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InjectedFault:
    status: int  # HTTP status: 500 or 503; both mean "try again later"
    reason: str


def latency_seconds(latency_ms: int, jitter_ms: int, roll: float) -> float:
    """Latency ± jitter, uniformly; ``roll`` in [0, 1)."""
    return max(0.0, latency_ms + (2 * roll - 1) * jitter_ms) / 1000


def choose_fault(
    *, fail_first: int, error_rate: float, attempt: int, roll: float, status_roll: float
) -> InjectedFault | None:
    """``fail_first``: attempts 1..N of every key fail; then each fails with ``error_rate``."""
    if attempt <= fail_first:
        return InjectedFault(500, f"injected failure {attempt} of the first {fail_first}")
    if roll < error_rate:
        status = 503 if status_roll < 0.5 else 500
        return InjectedFault(status, f"injected error (error_rate {error_rate})")
    return None


def times_out(timeout_rate: float, roll: float) -> bool:
    return roll < timeout_rate
