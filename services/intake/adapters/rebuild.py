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

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import structlog

from contracts.envelope import Envelope
from eventlog.store import Connection, to_recorded
from services.intake.adapters.projection import UnreadableEvent, apply

log = structlog.get_logger()

READ_MODEL_TABLES = (
    "applications", "filings", "timeline", "notices", "visits", "clock_alerts", "follow_ups",
)  # fmt: skip
_COLUMNS = (
    "position, stream_id, version, event_id, event_type, schema_version, occurred_at,"
    " application_id, correlation_id, causation_id, traceparent, producer, payload, prev_hash,"
    " hash, recorded_at"
)


async def rebuild_read_model(
    conn: Connection, log_schemas: Sequence[str], *, page: int = 1000
) -> tuple[int, int]:
    """Empty the read model and replay every log; returns (events read, events applied)."""
    async with conn.transaction():
        await conn.execute(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}")
        sources = [s for s in log_schemas if await _has_log(conn, s)]
        if not sources:
            return 0, 0
        union = " UNION ALL ".join(f'SELECT {_COLUMNS} FROM "{s}".events' for s in sources)
        query = (
            f"SELECT * FROM ({union}) AS e WHERE (occurred_at, event_id) > ($1, $2)"
            f" ORDER BY occurred_at, event_id LIMIT {int(page)}"
        )
        after: tuple[datetime, UUID] = (datetime(1970, 1, 1, tzinfo=UTC), UUID(int=0))
        read = applied = 0
        while rows := await conn.fetch(query, *after):
            for row in rows:
                read += 1
                applied += await _replay(conn, to_recorded(row).envelope)
            after = (rows[-1]["occurred_at"], rows[-1]["event_id"])
        return read, applied


async def _replay(conn: Connection, recorded: Envelope) -> bool:
    try:
        return await apply(conn, recorded)
    except (UnreadableEvent, ValueError, KeyError) as exc:  # ValidationError is a ValueError
        # the live consumer dead-letters the same event, so skipping it keeps both equal
        log.warning("event skipped in rebuild", event_id=str(recorded.event_id), error=str(exc))
        return False


async def _has_log(conn: Connection, schema: str) -> bool:
    found = await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".events')
    return found is not None
