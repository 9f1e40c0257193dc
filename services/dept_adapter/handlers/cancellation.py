"""Cancelling a filing: recording that it was cancelled (confirmed by the legacy system or
not), and keeping hold of a filing made while its cancellation was being recorded."""

from __future__ import annotations

from datetime import datetime

import structlog

from contracts.events import FilingCancelled
from eventlog.store import ConcurrencyConflict
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.adapters.legacy import LegacySystem
from services.dept_adapter.domain.events import AnswerWithheld
from services.dept_adapter.domain.filing import Filing, Work, answering
from services.dept_adapter.handlers import SERVICE

log = structlog.get_logger()


async def record_cancelled(
    filings: FilingLog, department: str, filing: Filing, *, confirmed: bool, at: datetime
) -> None:
    """Recorded, unless the filing changed meanwhile (the next look sees what changed)."""
    assert filing.cancellation is not None
    event = FilingCancelled(
        subtask=filing.request.subtask,
        department=department,
        filing_key=filing.key,
        legacy_receipt=filing.receipt,
        confirmed=confirmed,
    )
    try:
        await filings.append(filing, [answering(event, filing.cancellation, SERVICE, at)])
    except ConcurrencyConflict:
        log.info("filing changed while its cancellation was recorded")


async def after_conflict(
    filings: FilingLog,
    legacy: LegacySystem,
    department: str,
    key: str,
    work: Work,
    receipt: str | None,
    at: datetime,
) -> None:
    """Someone recorded something while we called. If it is a cancellation and we hold
    the receipt of a filing just made, keep the receipt (withheld, not published) so the
    filing can be cancelled at the legacy system."""
    fresh = await filings.load(key)
    if work is not Work.SUBMIT or receipt is None or fresh is None or fresh.receipt:
        return
    if fresh.cancellation is None:
        return
    if fresh.cancelled:
        log.warning("filed after its cancellation was confirmed; cancelling", receipt=receipt)
        await legacy.cancel(receipt)
        return
    withheld = AnswerWithheld(department=department, filing_key=key, legacy_receipt=receipt)
    try:
        await filings.append(fresh, [answering(withheld, fresh.requested, SERVICE, at)])
    except ConcurrencyConflict:
        log.info("filing changed again; the next run files again under the same key")
