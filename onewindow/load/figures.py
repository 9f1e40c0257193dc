"""Figures of a run: percentiles, rates over a window, counts per second."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p ≤ 100): the smallest value with at least
    p % of the values at or below it; None for no values."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} is not in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def per_second(count: int, start: float | None, end: float | None) -> float | None:
    """``count`` over the window [start, end]; None when the window is empty."""
    if start is None or end is None or end <= start:
        return None
    return count / (end - start)


def counts_per_second(times: Sequence[float], start: float, seconds: int) -> list[int]:
    """How many of ``times`` fall in each whole second after ``start``, for ``seconds`` s."""
    bins = [0] * seconds
    for t in times:
        second = int(t - start)
        if 0 <= second < seconds:
            bins[second] += 1
    return bins
