"""A decision an nrb-style legacy system POSTs back, verified and recorded in the filing's
stream."""

from __future__ import annotations

from datetime import datetime

from eventlog.store import ConcurrencyConflict
from runtime.tracing import continuing
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.domain import answers
from services.dept_adapter.domain.filing import answering
from services.dept_adapter.domain.outcomes import Decision, Terminal, result_event
from services.dept_adapter.domain.signature import verify
from services.dept_adapter.handlers import SERVICE


class CallbackRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def on_callback(
    filings: FilingLog,
    department: str,
    filing_key: str,
    body: bytes,
    signature: str | None,
    secret: bytes,
    at: datetime,
) -> str:
    """Record a signed decision (at `at`); idempotent by receipt. Returns what was done; raises
    CallbackRefused with the HTTP status that makes the legacy system retry (or give up)."""
    if not signature or not verify(secret, body, signature):
        raise CallbackRefused(401, "X-Legacy-Signature does not match the body")
    filing = await filings.load(filing_key)
    if filing is None or filing.request.department != department:
        raise CallbackRefused(404, f"{department}: no filing {filing_key!r}")
    if filing.cancelled or filing.cancellation is not None or filing.result is not None:
        return "ignored: the filing is already decided or cancelled"
    if not filing.accepted:
        raise CallbackRefused(409, "the filing's acceptance is not recorded yet; retry")
    try:
        fields = answers.json_object(body)
        decision: Decision | Terminal = answers.decision(fields)
    except answers.Unparseable as e:
        fields, decision = {}, Terminal(f"unparseable callback: {e}")
    if fields.get("receipt", filing.receipt) != filing.receipt:
        raise CallbackRefused(409, f"receipt {fields.get('receipt')!r} is not this filing's")
    event = result_event(decision, filing.request)
    assert event is not None
    try:
        # in the filing's trace, not the callback request's (that one becomes a link)
        with continuing(f"callback {department}", filing.requested.traceparent):
            await filings.append(filing, [answering(event, filing.requested, SERVICE, at)])
    except ConcurrencyConflict:
        raise CallbackRefused(503, "the filing changed meanwhile; retry") from None
    return "recorded"
