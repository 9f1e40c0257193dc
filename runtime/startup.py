"""Connecting to PostgreSQL and Kafka at start-up: one clear line per failed try, back-off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from eventlog.retry import Backoff

T = TypeVar("T")
log = structlog.get_logger()
# A floor under the jitter: every try waits half a second at least, so a server that is
# starting is not asked again at once.
START_BACKOFF = Backoff(first=1.0, cap=10.0, floor=0.5)


async def with_backoff(
    what: str,
    connect: Callable[[], Awaitable[T]],
    timeout: float,
    backoff: Backoff = START_BACKOFF,
) -> T:
    """Call `connect` until it succeeds or `timeout` seconds have passed (then re-raise)."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            return await connect()
        except Exception as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            wait = min(backoff.delay(attempt), left)
            log.warning(
                f"{what} not reachable, retrying",
                error=f"{type(exc).__name__}: {exc}",
                attempt=attempt,
                retry_in_s=round(wait, 1),
            )
            await asyncio.sleep(wait)
