"""Supervision of a service's long-running parts: the relay, each consumer, each worker.

A part is a coroutine that runs until its stop event is set. When it raises — or returns
while the service still runs — the failure is logged with its cause and counted, and the
part starts again after a back-off. A part is *down* from its failure until a restart has
run `stable_seconds` without failing again: /readyz names the parts down longer than a
grace, and a part down for `give_up_seconds` makes the whole service exit non-zero, so
that an orchestrator starts it afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

import structlog

from eventlog.retry import Backoff
from runtime.metrics import PART_RESTARTS, PART_UP

log = structlog.get_logger()
Run = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class Part:
    """`run(stop)` works until `stop` is set, then returns."""

    name: str
    run: Run


class PartEnded(Exception):
    """A part returned although nobody asked it to stop."""


@dataclass
class _Watch:
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    running_since: float | None = None
    down_since: float | None = None
    failures: int = 0  # since the part last ran stably: how far the back-off has grown
    task: asyncio.Task[None] | None = None


class Supervisor:
    def __init__(
        self,
        service: str,
        *,
        backoff: Backoff,
        stable_seconds: float,
        give_up_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service, self.backoff, self.clock = service, backoff, clock
        self.stable_seconds, self.give_up_seconds = stable_seconds, give_up_seconds
        self.gave_up = asyncio.Event()
        self.gave_up_on: str | None = None
        self._parts: dict[str, _Watch] = {}
        self._watchdog: asyncio.Task[None] | None = None

    def start(self, part: Part) -> None:
        if part.name in self._parts:
            raise ValueError(f"part {part.name!r} is supervised already")
        watch = self._parts[part.name] = _Watch()
        watch.task = asyncio.create_task(self._keep_running(part, watch), name=part.name)
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch_outages(), name="watchdog")

    @property
    def parts(self) -> list[str]:
        """The names of the parts under supervision."""
        return list(self._parts)

    def down(self) -> dict[str, float]:
        """Parts down now, with the seconds since their outage began."""
        now = self.clock()
        return {
            name: now - watch.down_since
            for name, watch in self._parts.items()
            if watch.down_since is not None and not self._recovered(watch, now)
        }

    async def stop(self, names: Collection[str] | None = None) -> None:
        """Ask these parts (all, if None) to stop, and wait until they have."""
        chosen = [w for n, w in self._parts.items() if names is None or n in names]
        for watch in chosen:
            watch.stop.set()
        await asyncio.gather(*(w.task for w in chosen if w.task), return_exceptions=True)
        if names is None and self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)

    def _recovered(self, watch: _Watch, now: float) -> bool:
        since = watch.running_since
        return since is not None and now - since >= self.stable_seconds

    async def _keep_running(self, part: Part, watch: _Watch) -> None:
        labels = (
            PART_UP.labels(self.service, part.name),
            PART_RESTARTS.labels(self.service, part.name),
        )
        up, restarts = labels
        while not watch.stop.is_set():
            watch.running_since = self.clock()
            up.set(1)
            try:
                await part.run(watch.stop)
                if watch.stop.is_set():
                    return
                raise PartEnded(f"{part.name} returned while the service runs")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failed_at = self.clock()
                if self._recovered(watch, failed_at):
                    watch.failures, watch.down_since = 0, None
                watch.failures += 1
                watch.running_since = None
                watch.down_since = watch.down_since or failed_at
                up.set(0)
                restarts.inc()
                delay = self.backoff.delay(watch.failures)
                log.error(
                    "part failed; restarting it",
                    part=part.name,
                    error=f"{type(exc).__name__}: {exc}",
                    failures=watch.failures,
                    down_s=round(failed_at - watch.down_since, 1),
                    retry_in_s=round(delay, 2),
                    exc_info=exc,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(watch.stop.wait(), delay)

    async def _watch_outages(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.give_up_seconds / 4))
            for name, seconds in self.down().items():
                if seconds >= self.give_up_seconds and not self.gave_up.is_set():
                    log.critical(
                        "a part has not recovered; the service exits so that it is restarted",
                        part=name,
                        down_s=round(seconds, 1),
                    )
                    self.gave_up_on = name
                    self.gave_up.set()
