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
from datetime import UTC, datetime
from uuid import UUID

import structlog

from contracts.envelope import Envelope
from eventlog.store import Connection, to_recorded
from services.intake.adapters.projection import UnreadableEvent, apply_all, projects

log = structlog.get_logger()

READ_MODEL_TABLES = (
    "applications", "filings", "timeline", "notices", "visits", "clock_alerts", "follow_ups",
    "e_certificates", "data_access",
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
            read += len(rows)
            applied += await apply_all(conn, _readable(to_recorded(r).envelope for r in rows))
            after = (rows[-1]["occurred_at"], rows[-1]["event_id"])
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


async def _has_log(conn: Connection, schema: str) -> bool:
    found = await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".events')
    return found is not None
