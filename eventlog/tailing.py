"""Following a service's own log as it grows: the one listen, read, wait loop.

Every append announces itself on the schema's channel (a statement trigger, migration 0003)
once its transaction commits. A follower listens there and reads past the last position it
saw; it also reads every `rescan_seconds`, since an announcement made while no session
listened (the follower starting, the database restarting) is never repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from eventlog.pooling import holding_session_state
from eventlog.retry import Backoff
from eventlog.store import DATABASE_AWAY, Connection

log = structlog.get_logger()


def appends_channel(schema: str) -> str:
    """The channel the log of `schema` announces its appends on."""
    return f"{schema}.events"


async def first_of(*events: asyncio.Event, timeout: float) -> bool:
    """Wait until one of `events` is set or `timeout` passes; True if one is set."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    done, pending = await asyncio.wait(
        waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    return bool(done)


Step = Callable[[Connection], Awaitable[bool]]


async def follow(
    pool: asyncpg.Pool,
    step: Step,
    stop: asyncio.Event,
    *,
    rescan_seconds: float,
    backoff: Backoff | None = None,
) -> None:
    """Call `step` at once, on every announced append and every `rescan_seconds`, until
    `stop` is set; again at once while it returns True (more is waiting). `step` gets the
    listening session (for session-scoped locks that must end with it). While the database
    is away the loop waits with back-off and listens again on a new session."""
    backoff = backoff or Backoff(first=0.2, cap=5.0)
    failures = 0
    while not stop.is_set():
        try:
            await _listen(pool, step, stop, rescan_seconds)
        except DATABASE_AWAY as exc:
            failures += 1
            delay = backoff.delay(failures)
            error = f"{type(exc).__name__}: {exc}"
            log.warning("log not followed now", error=error, retry_in_s=round(delay, 2))
            await first_of(stop, timeout=delay)
        else:
            failures = 0


async def _listen(pool: asyncpg.Pool, step: Step, stop: asyncio.Event, rescan: float) -> None:
    wake, ended = asyncio.Event(), asyncio.Event()

    def on_append(*_: object) -> None:
        wake.set()

    async with pool.acquire() as listener:
        holding_session_state(listener)
        channel = appends_channel(await listener.fetchval("SELECT current_schema()"))
        await listener.add_listener(channel, on_append)
        # A session that ended hears nothing more: listen again on another.
        listener.add_termination_listener(lambda *_: ended.set())
        try:
            while not stop.is_set():
                if ended.is_set():
                    raise ConnectionError("the listening session ended")
                wake.clear()
                if not await step(listener):
                    await first_of(wake, stop, ended, timeout=rescan)
        finally:
            with contextlib.suppress(*DATABASE_AWAY):
                await listener.remove_listener(channel, on_append)
