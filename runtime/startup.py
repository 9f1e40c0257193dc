"""Connecting to PostgreSQL and Kafka at start-up: one clear line per failed try, backoff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from tenacity import AsyncRetrying, RetryCallState, stop_after_delay, wait_exponential_jitter

T = TypeVar("T")
log = structlog.get_logger()


async def with_backoff(what: str, connect: Callable[[], Awaitable[T]], timeout: float) -> T:
    """Call `connect` until it succeeds or `timeout` seconds have passed (then re-raise)."""

    def _say(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.warning(
            f"{what} not reachable, retrying",
            error=f"{type(exc).__name__}: {exc}",
            attempt=state.attempt_number,
            retry_in_s=round(wait, 1),
        )

    async for attempt in AsyncRetrying(
        wait=wait_exponential_jitter(multiplier=0.5, max=10),
        stop=stop_after_delay(timeout),
        before_sleep=_say,
        reraise=True,
    ):
        with attempt:
            return await connect()
    raise AssertionError("unreachable")
