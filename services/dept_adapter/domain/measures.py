"""What dept_adapter's metrics say of a legacy call and of a circuit breaker. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from services.dept_adapter.domain.breaker import BreakerState
from services.dept_adapter.domain.outcomes import Retryable, Terminal

BREAKER_GAUGE: Mapping[BreakerState, int] = {
    BreakerState.CLOSED: 0,
    BreakerState.HALF_OPEN: 1,
    BreakerState.OPEN: 2,
}
Outcome = Literal["answered", "retryable", "terminal"]
ErrorKind = Literal["timeout", "connection", "unavailable", "terminal"]


def call_outcome(answer: object) -> tuple[Outcome, ErrorKind | None]:
    """How a call ended, and the kind of error if it failed: a time-out, no connection, the
        system unavailable (5xx, 429, soap:Server), or a terminal refusal (4xx, soap:Client, an
        answer that cannot be read). Decisions, receipts, "still processing" and register records
    are answers."""
    if isinstance(answer, Terminal):
        return "terminal", "terminal"
    if not isinstance(answer, Retryable):
        return "answered", None
    if answer.error.startswith("time-out"):
        return "retryable", "timeout"
    if answer.error.startswith("connection error"):
        return "retryable", "connection"
    return "retryable", "unavailable"
