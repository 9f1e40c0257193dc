"""One department's worker: files pending filings, polls accepted ones, cancels on request.

A worker never runs two calls for one filing at once; a call's outcome is appended with the
version the filing was loaded at, so of two workers (or replicas) only one records an
outcome — the other gets a ConcurrencyConflict, reloads, and finds it done.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from opentelemetry import trace

from contracts.events import FilingCancelled
from eventlog.store import ConcurrencyConflict
from runtime.tracing import continuing
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.legacy import LegacySystem
from services.dept_adapter.config import DepartmentConfig
from services.dept_adapter.domain.backoff import retry_wait
from services.dept_adapter.domain.breaker import CircuitBreaker, Clock
from services.dept_adapter.domain.events import AnswerWithheld
from services.dept_adapter.domain.filing import Filing, Work, answering, next_work
from services.dept_adapter.domain.outcomes import (
    Answer,
    Cancelled,
    Processing,
    Retryable,
    receipt_of,
    result_event,
)

SERVICE = "dept_adapter"
log = structlog.get_logger()


@dataclass(frozen=True)
class Exhausted:
    """Every attempt of this run failed retryably (or the breaker is open): try a later run."""

    error: str


@dataclass(frozen=True)
class Moved:
    """Something was recorded for the filing during this run: look at it again."""


class DepartmentWorker:
    def __init__(
        self,
        department: str,
        config: DepartmentConfig,
        legacy: LegacySystem,
        filings: FilingLog,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        roll: Callable[[], float] = random.random,
    ) -> None:
        self.department, self.config, self.legacy, self.filings = (
            department,
            config,
            legacy,
            filings,
        )
        self.clock, self.sleep, self.roll = clock, sleep, roll
        b = config.breaker
        self.breaker = CircuitBreaker(
            b.failure_threshold, b.open_seconds, b.half_open_probes, clock
        )
        self.last_error: str | None = None
        self._due: dict[str, float] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._limit = asyncio.Semaphore(config.concurrency)
        self._wake = asyncio.Event()

    def notice(self, filing_key: str) -> None:
        """Something was recorded for this filing: look at it (again) soon."""
        self._due[filing_key] = self.clock()
        if filing_key in self._running:
            self._again.add(filing_key)
        self._wake.set()

    def status(self) -> dict[str, Any]:
        return {
            "protocol": self.config.protocol,
            "breaker": self.breaker.state.value,
            "in_flight": len(self._running),
            "pending": len(self._due),
            "last_error": self.last_error,
        }

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                self._wake.clear()
                now, wait = self.clock(), 5.0
                for key, due in list(self._due.items()):
                    if key in self._running:
                        continue
                    if due <= now:
                        self._running[key] = asyncio.create_task(self._handle(key))
                        self._running[key].add_done_callback(partial(self._finished, key))
                    else:
                        wait = min(wait, due - now)
                await _first(self._wake, stop, timeout=wait)
        finally:
            running = list(self._running.values())
            for task in running:
                task.cancel()  # safe: appends are atomic and filings idempotent at the legacy end
            await asyncio.gather(*running, return_exceptions=True)

    def _finished(self, key: str, _: object = None) -> None:
        self._running.pop(key, None)
        if key in self._again:
            self._again.discard(key)
            self._due[key] = self.clock()
        self._wake.set()

    async def _handle(self, key: str) -> None:
        async with self._limit:
            with structlog.contextvars.bound_contextvars(
                department=self.department, filing_key=key
            ):
                try:
                    await self._advance(key)
                except Exception as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("filing work failed; retrying later")
                    self._due[key] = self.clock() + self.config.backoff.cap_seconds

    async def _advance(self, key: str) -> None:
        filing = await self.filings.load(key)
        work = next_work(filing, self.config.protocol) if filing else Work.NONE
        if filing is None or work in (Work.NONE, Work.AWAIT_CALLBACK):
            self._due.pop(key, None)
            return
        cause = filing.cancellation if work is Work.CANCEL else filing.requested
        attributes = {"onewindow.department": self.department, "onewindow.filing_key": key}
        traceparent = cause.traceparent if cause else None
        with continuing(f"{work.value} {self.department}", traceparent, attributes=attributes):
            await self._work(filing, work)

    async def _work(self, filing: Filing, work: Work) -> None:
        """One run of `work`: the legacy calls (their HTTP spans are children of this
        run's span) and the record of the answer (which carries this span's traceparent)."""
        key = filing.key
        if work is Work.CANCEL and filing.receipt is None:  # not filed: nothing to undo
            await self._cancelled(filing, confirmed=True)
            return
        outcome = await self._attempts(work, filing)
        if isinstance(outcome, Moved):
            self._due[key] = self.clock()
        elif work is Work.CANCEL:
            if not isinstance(outcome, Cancelled):
                log.error("legacy cancel not confirmed", error=getattr(outcome, "error", outcome))
            await self._cancelled(filing, confirmed=isinstance(outcome, Cancelled))
        elif isinstance(outcome, Exhausted):
            log.warning("filing stays pending", error=outcome.error)
            self._due[key] = max(
                self.breaker.reopens_at, self.clock() + self.config.breaker.open_seconds
            )
        elif isinstance(outcome, Processing):
            self._due[key] = self.clock() + self.config.poll_interval_seconds
        else:
            await self._record(filing, work, outcome)

    async def _attempts(self, work: Work, filing: Filing) -> Answer | Exhausted | Moved:
        error, backoff = "circuit open", self.config.backoff
        for attempt in range(1, self.config.max_attempts + 1):
            if attempt > 1 and await self.filings.version(filing.key) != filing.version:
                return Moved()
            if self.breaker.allow():
                answer = await self._call(work, filing)
                if not isinstance(answer, Retryable):
                    self.breaker.succeeded()
                    return answer
                self.breaker.failed()
                error = self.last_error = answer.error
                trace.get_current_span().add_event("attempt failed", {"attempt": attempt})
                log.warning("legacy call failed", work=work.value, attempt=attempt, error=error)
                retry_after = answer.retry_after
            elif work is not Work.CANCEL:
                return Exhausted(f"circuit open; last error: {self.last_error}")
            else:
                retry_after = None
            if attempt < self.config.max_attempts:
                await self.sleep(
                    retry_wait(
                        attempt, backoff.base_seconds, backoff.cap_seconds, self.roll(), retry_after
                    )
                )
        return Exhausted(error)

    async def _call(self, work: Work, filing: Filing) -> Answer:
        if work is Work.SUBMIT:
            return await self.legacy.submit(filing)
        assert filing.receipt is not None
        if work is Work.POLL:
            return await self.legacy.poll(filing.receipt)
        return await self.legacy.cancel(filing.receipt)

    async def _cancelled(self, filing: Filing, *, confirmed: bool) -> None:
        assert filing.cancellation is not None
        event = FilingCancelled(
            subtask=filing.request.subtask, department=self.department, filing_key=filing.key,
            legacy_receipt=filing.receipt, confirmed=confirmed,
        )  # fmt: skip
        try:
            await self.filings.append(filing, [answering(event, filing.cancellation, SERVICE)])
        except ConcurrencyConflict:
            self._due[filing.key] = self.clock()

    async def _record(self, filing: Filing, work: Work, answer: Answer) -> None:
        event = result_event(answer, filing.request)
        assert event is not None
        self._due[filing.key] = self.clock()  # look again: e.g. poll once accepted
        try:
            await self.filings.append(filing, [answering(event, filing.requested, SERVICE)])
        except ConcurrencyConflict:
            await self._after_conflict(filing.key, work, receipt_of(answer))

    async def _after_conflict(self, key: str, work: Work, receipt: str | None) -> None:
        """Someone recorded something while we called. If it is a cancellation and we hold
        the receipt of a filing just made, keep the receipt (withheld, not published) so the
        filing can be cancelled at the legacy system."""
        fresh = await self.filings.load(key)
        if work is not Work.SUBMIT or receipt is None or fresh is None or fresh.receipt:
            return
        if fresh.cancellation is None:
            return
        if fresh.cancelled:
            log.warning("filed after its cancellation was confirmed; cancelling", receipt=receipt)
            await self.legacy.cancel(receipt)
            return
        withheld = AnswerWithheld(
            department=self.department, filing_key=key, legacy_receipt=receipt
        )
        try:
            await self.filings.append(fresh, [answering(withheld, fresh.requested, SERVICE)])
        except ConcurrencyConflict:
            log.info("filing changed again; the next run files again under the same key")


async def _first(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    _, pending = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
