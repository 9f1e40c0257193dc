"""An outside system (a department's legacy system, a register) as the calls to it have found
it: its circuit breaker, its last error, and how long to pause between retries."""

from __future__ import annotations

from eventlog.retry import Backoff
from services.dept_adapter.domain.breaker import CircuitBreaker


class Health:
    def __init__(self, breaker: CircuitBreaker, backoff: Backoff) -> None:
        self.breaker, self.backoff = breaker, backoff
        self.last_error: str | None = None

    def answered(self, refusal: str | None = None) -> None:
        """The system answered (a refusal too shows it is up)."""
        self.breaker.succeeded()
        if refusal is not None:
            self.last_error = refusal

    def failed(self, error: str) -> None:
        """A call failed retryably: it counts against the breaker."""
        self.breaker.failed()
        self.last_error = error

    def went_wrong(self, error: str) -> None:
        """Our own work around the calls failed: noted, not held against the system."""
        self.last_error = error

    def pause(self, attempt: int, retry_after: float | None) -> float:
        """The wait after failed attempt `attempt`: the back-off, but not sooner than the
        system's Retry-After (still within the back-off's cap)."""
        wait = self.backoff.delay(attempt)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.backoff.cap))
        return wait

    def status(self) -> dict[str, str | None]:
        return {"breaker": self.breaker.state.value, "last_error": self.last_error}
