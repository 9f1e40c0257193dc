"""One look at a filing: load it, find the work it needs, run that work's attempts through
the department's plug-in, record the outcome, and say when to look at the filing again —
at once after anything was recorded (the next look finds what is left to do)."""

from __future__ import annotations

import structlog

from eventlog.store import ConcurrencyConflict
from runtime.clock import SYSTEM_CLOCK
from runtime.clock import Clock as WallClock
from runtime.tracing import continuing
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.legacy import LegacySystem
from services.dept_adapter.domain.breaker import Clock
from services.dept_adapter.domain.filing import Filing, Work, answering, mutate, next_work
from services.dept_adapter.domain.health import Health
from services.dept_adapter.domain.outcomes import (
    Answer,
    Cancelled,
    Processing,
    receipt_of,
    result_event,
)
from services.dept_adapter.domain.schedule import NextLook
from services.dept_adapter.handlers import SERVICE
from services.dept_adapter.handlers.attempts import Attempts, Exhausted, Moved
from services.dept_adapter.handlers.cancellation import after_conflict, record_cancelled
from services.dept_adapter.settings import DepartmentConfig

log = structlog.get_logger()


class FilingWork:
    """The filings of one department."""

    def __init__(
        self,
        department: str,
        config: DepartmentConfig,
        legacy: LegacySystem,
        health: Health,
        attempts: Attempts,
        clock: Clock,
        wall_clock: WallClock = SYSTEM_CLOCK,
    ) -> None:
        """`clock` times looks and back-offs (monotonic); `wall_clock` stamps the events."""
        self.department, self.config, self.legacy = department, config, legacy
        self.health, self.attempts, self.clock = health, attempts, clock
        self.wall_clock = wall_clock
        self._awaiting: dict[str, float] = {}  # filing key → since when its callback is awaited

    async def look_at(self, filings: FilingLog, key: str) -> NextLook:
        with structlog.contextvars.bound_contextvars(department=self.department, filing_key=key):
            try:
                return await self._advance(filings, key)
            except Exception as exc:
                self.health.went_wrong(f"{type(exc).__name__}: {exc}")
                log.exception("filing work failed; retrying later")
                return self.clock() + self.config.backoff.cap_seconds

    async def _advance(self, filings: FilingLog, key: str) -> NextLook:
        filing = await filings.load(key)
        work = next_work(filing, self.config.protocol) if filing else Work.NONE
        if work is not Work.AWAIT_CALLBACK:
            self._awaiting.pop(key, None)
        if filing is None or work is Work.NONE:
            return None
        if work is Work.AWAIT_CALLBACK:
            due = self._awaiting.setdefault(key, self.clock()) + self.config.callback_wait_seconds
            if self.clock() < due:
                return due
            # The system's deliveries may have given up while we were away: submitting the
            # same filing again makes it call back anew (and files nothing twice).
            self._awaiting[key] = self.clock()
            log.info("no callback yet; asking again")
            work = Work.SUBMIT
        cause = filing.cancellation if work is Work.CANCEL else filing.requested
        attributes = {"onewindow.department": self.department, "onewindow.filing_key": key}
        traceparent = cause.traceparent if cause else None
        with continuing(f"{work.value} {self.department}", traceparent, attributes=attributes):
            return await self._work(filings, filing, work)

    async def _work(self, filings: FilingLog, filing: Filing, work: Work) -> NextLook:
        """One run of `work`: the legacy calls (their HTTP spans are children of this
        run's span) and the record of the answer (which carries this span's traceparent)."""
        if work is Work.CANCEL and filing.receipt is None:  # not filed: nothing to undo
            await record_cancelled(
                filings, self.department, filing, confirmed=True, at=self.wall_clock.now()
            )
            return self.clock()
        outcome = await self.attempts.run(filings, work, filing)
        if isinstance(outcome, Moved):
            return self.clock()
        if filing.accepted and work is Work.SUBMIT:  # asked again for a callback: nothing new
            return self.clock() + self.config.callback_wait_seconds
        if work is Work.CANCEL:
            if not isinstance(outcome, Cancelled):
                log.error("legacy cancel not confirmed", error=getattr(outcome, "error", outcome))
            confirmed = isinstance(outcome, Cancelled)
            await record_cancelled(
                filings, self.department, filing, confirmed=confirmed, at=self.wall_clock.now()
            )
            return self.clock()
        if isinstance(outcome, Exhausted):
            log.warning("filing stays pending", error=outcome.error)
            reopens = self.health.breaker.reopens_at
            return max(reopens, self.clock() + self.config.breaker.open_seconds)
        if isinstance(outcome, Processing):
            return self.clock() + self.config.poll_interval_seconds
        recorded = await self._record(filings, filing, work, outcome)
        if recorded is not None and next_work(recorded, self.config.protocol) is Work.NONE:
            return None  # a result: the filing is done, as it now stands in the log
        return self.clock()  # look again: e.g. poll once accepted

    async def _record(
        self, filings: FilingLog, filing: Filing, work: Work, answer: Answer
    ) -> Filing | None:
        """The filing with the answer recorded; None when another record came first."""
        event = result_event(answer, filing.request)
        assert event is not None
        envelope = answering(event, filing.requested, SERVICE, self.wall_clock.now())
        try:
            await filings.append(filing, [envelope])
        except ConcurrencyConflict:
            await after_conflict(
                filings,
                self.legacy,
                self.department,
                filing.key,
                work,
                receipt_of(answer),
                self.wall_clock.now(),
            )
            return None
        return mutate(filing, envelope)
