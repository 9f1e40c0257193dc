"""Cancelling a filing: recording that it was cancelled (confirmed by the legacy system or
not), and keeping hold of a filing made while its cancellation was being recorded."""

from __future__ import annotations

import structlog

from contracts.events import FilingCancelled
from eventlog.store import ConcurrencyConflict
from services.dept_adapter.department import SERVICE, Department
from services.dept_adapter.domain.events import AnswerWithheld
from services.dept_adapter.domain.filing import Filing, Work, answering

log = structlog.get_logger()


async def record_cancelled(department: Department, filing: Filing, *, confirmed: bool) -> None:
    assert filing.cancellation is not None
    event = FilingCancelled(
        subtask=filing.request.subtask, department=department.name, filing_key=filing.key,
        legacy_receipt=filing.receipt, confirmed=confirmed,
    )  # fmt: skip
    try:
        await department.filings.append(filing, [answering(event, filing.cancellation, SERVICE)])
    except ConcurrencyConflict:
        department.look_now(filing.key)


async def after_conflict(department: Department, key: str, work: Work, receipt: str | None) -> None:
    """Someone recorded something while we called. If it is a cancellation and we hold
    the receipt of a filing just made, keep the receipt (withheld, not published) so the
    filing can be cancelled at the legacy system."""
    fresh = await department.filings.load(key)
    if work is not Work.SUBMIT or receipt is None or fresh is None or fresh.receipt:
        return
    if fresh.cancellation is None:
        return
    if fresh.cancelled:
        log.warning("filed after its cancellation was confirmed; cancelling", receipt=receipt)
        await department.legacy.cancel(receipt)
        return
    withheld = AnswerWithheld(department=department.name, filing_key=key, legacy_receipt=receipt)
    try:
        await department.filings.append(fresh, [answering(withheld, fresh.requested, SERVICE)])
    except ConcurrencyConflict:
        log.info("filing changed again; the next run files again under the same key")
