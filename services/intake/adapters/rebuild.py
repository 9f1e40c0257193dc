"""Rebuilding the read model from the services' logs (DESIGN rule 8).

Every event a live consumer projects was first recorded in some service's log: intake's own,
router's (dispatches, outcomes, and a ResultRecorded for every task result it applied, also
for departments that answer on Kafka themselves), notifier's. Replaying every log through the
same `apply` gives the same rows: apply is idempotent and indifferent to order, and passes
over what the live consumer never sees (raw task results in dept_adapter's log, private
events).
One transaction: readers see the old model until the new one is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import structlog

from contracts.envelope import Envelope
from eventlog.reading import ServiceLogs
from eventlog.store import Connection
from services.intake.adapters.projection import UnreadableEvent, apply_all, projects

log = structlog.get_logger()

READ_MODEL_TABLES = (
    "applications", "filings", "timeline", "notices", "visits", "clock_alerts", "follow_ups",
    "e_certificates", "data_access",
)  # fmt: skip


async def rebuild_read_model(
    conn: Connection, log_schemas: Sequence[str], *, page: int = 1000
) -> tuple[int, int]:
    """Empty the read model and replay every log; returns (events read, events applied)."""
    async with conn.transaction():
        await conn.execute(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}")
        read = applied = 0
        async for events in ServiceLogs(conn, log_schemas).in_time_order(page):
            read += len(events)
            applied += await apply_all(conn, _readable(e.envelope for e in events))
        return read, applied


def _readable(envelopes: Iterable[Envelope]) -> list[Envelope]:
    """The events the projection can read; the live consumer dead-letters the others, so
    skipping them keeps both equal."""
    readable = []
    for envelope in envelopes:
        try:
            if projects(envelope):
                readable.append(envelope)
        except (UnreadableEvent, ValueError, KeyError) as exc:  # ValidationError: a ValueError
            log.warning("event skipped in rebuild", event_id=str(envelope.event_id), error=str(exc))
    return readable
