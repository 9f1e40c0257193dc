"""Small builders shared by the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted
from eventlog.store import Connection


def event(application_id: UUID | None = None, n: int = 0, producer: str = "test") -> Envelope:
    """A registered event (it goes to onewindow.task-results) numbered `n` in its outputs."""
    application_id = application_id or uuid7()
    completed = SubtaskCompleted(
        subtask="amr-licence",
        department="amr",
        filing_key=f"{application_id}:amr-licence:1",
        outputs={"n": n},
    )
    return Envelope.new(
        completed,
        application_id=application_id,
        producer=producer,
    )


@asynccontextmanager
async def triggers_off(superuser: Connection) -> AsyncIterator[None]:
    """What an insider with superuser rights can do: switch the append-only triggers off
    with DDL (session_replication_role no longer does it), then on again as they were."""
    await superuser.execute("ALTER TABLE events DISABLE TRIGGER USER")
    try:
        yield
    finally:
        for trigger in ("events_append_only", "events_no_truncate"):
            await superuser.execute(f"ALTER TABLE events ENABLE ALWAYS TRIGGER {trigger}")
