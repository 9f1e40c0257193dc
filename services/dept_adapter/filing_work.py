"""Working one filing through its department's plug-in: load it, find the work it needs,
run that work's attempts, and record the outcome or when to look at the filing again."""

from __future__ import annotations

import structlog

from eventlog.store import ConcurrencyConflict
from runtime.tracing import continuing
from services.dept_adapter.attempts import Attempts, Exhausted, Moved
from services.dept_adapter.cancellation import after_conflict, record_cancelled
from services.dept_adapter.department import SERVICE, Department
from services.dept_adapter.domain.filing import Filing, Work, answering, next_work
from services.dept_adapter.domain.outcomes import (
    Answer,
    Cancelled,
    Processing,
    receipt_of,
    result_event,
)

log = structlog.get_logger()


class FilingWork:
    def __init__(self, department: Department, attempts: Attempts) -> None:
        self.department, self.attempts = department, attempts

    async def look_at(self, key: str) -> None:
        d = self.department
        with structlog.contextvars.bound_contextvars(department=d.name, filing_key=key):
            try:
                await self._advance(key)
            except Exception as exc:
                d.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("filing work failed; retrying later")
                d.due[key] = d.clock() + d.config.backoff.cap_seconds

    async def _advance(self, key: str) -> None:
        d = self.department
        filing = await d.filings.load(key)
        work = next_work(filing, d.config.protocol) if filing else Work.NONE
        if filing is None or work in (Work.NONE, Work.AWAIT_CALLBACK):
            d.due.pop(key, None)
            return
        cause = filing.cancellation if work is Work.CANCEL else filing.requested
        attributes = {"onewindow.department": d.name, "onewindow.filing_key": key}
        traceparent = cause.traceparent if cause else None
        with continuing(f"{work.value} {d.name}", traceparent, attributes=attributes):
            await self._work(filing, work)

    async def _work(self, filing: Filing, work: Work) -> None:
        """One run of `work`: the legacy calls (their HTTP spans are children of this
        run's span) and the record of the answer (which carries this span's traceparent)."""
        d, key = self.department, filing.key
        if work is Work.CANCEL and filing.receipt is None:  # not filed: nothing to undo
            await record_cancelled(d, filing, confirmed=True)
            return
        outcome = await self.attempts.run(work, filing)
        if isinstance(outcome, Moved):
            d.look_now(key)
        elif work is Work.CANCEL:
            if not isinstance(outcome, Cancelled):
                log.error("legacy cancel not confirmed", error=getattr(outcome, "error", outcome))
            await record_cancelled(d, filing, confirmed=isinstance(outcome, Cancelled))
        elif isinstance(outcome, Exhausted):
            log.warning("filing stays pending", error=outcome.error)
            d.due[key] = max(d.breaker.reopens_at, d.clock() + d.config.breaker.open_seconds)
        elif isinstance(outcome, Processing):
            d.due[key] = d.clock() + d.config.poll_interval_seconds
        else:
            await self._record(filing, work, outcome)

    async def _record(self, filing: Filing, work: Work, answer: Answer) -> None:
        event = result_event(answer, filing.request)
        assert event is not None
        self.department.look_now(filing.key)  # look again: e.g. poll once accepted
        try:
            await self.department.filings.append(
                filing, [answering(event, filing.requested, SERVICE)]
            )
        except ConcurrencyConflict:
            await after_conflict(self.department, filing.key, work, receipt_of(answer))
