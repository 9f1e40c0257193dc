"""Exponential back-off with full jitter: wait uniformly in [0, min(cap, base·2^(n-1)))."""

from __future__ import annotations


def backoff_seconds(attempt: int, base: float, cap: float, roll: float) -> float:
    """The wait after failed attempt `attempt` (1-based); `roll` is uniform in [0, 1)."""
    if attempt < 1 or not 0 <= roll < 1:
        raise ValueError("attempt must be ≥ 1 and roll in [0, 1)")
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 62))
    return roll * ceiling


def retry_wait(
    attempt: int, base: float, cap: float, roll: float, retry_after: float | None
) -> float:
    """Back-off, but not sooner than the legacy system's Retry-After (still within `cap`)."""
    wait = backoff_seconds(attempt, base, cap, roll)
    if retry_after is not None:
        wait = max(wait, min(retry_after, cap))
    return wait
