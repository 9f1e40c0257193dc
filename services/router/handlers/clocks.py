"""Recording the clock marks that fell due in one process: what the clock ticker asks for."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.catalog import Matter
from eventlog.store import Connection
from eventlog.unit_of_work import PostgresUnitOfWork
from services.router.domain.deadlines import Timing
from services.router.domain.replay import Replayed, after
from services.router.domain.supervision import overdue
from services.router.handlers.journal import DERIVED, envelopes, record


async def tick(
    conn: Connection, stream_id: str, replayed: Replayed, matters: Mapping[str, Matter],
    timing: Timing,
) -> int:  # fmt: skip
    """Record the clock marks due in one process (and what follows, e.g. a lapse); returns
    how many events were appended. Raises ConcurrencyConflict when another writer appended
    first: then it recorded what was due, or the next look will."""
    async with conn.transaction():
        uow = PostgresUnitOfWork(conn, DERIVED)
        stream = await uow.read(stream_id)
        if not stream:
            return 0
        process = replayed.of(stream_id, stream.events)
        decided = overdue(process, matters[process.matter], timing)
        new = envelopes(decided, stream.events[-1], timing)
        record(uow, replayed, stream, new, after(process, decided))
        await uow.commit()
    for action in uow.committed_actions:
        action()
    return len(decided)
