"""Small builders shared by the tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from aiokafka import AIOKafkaConsumer
from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted
from contracts.topics import DEAD_LETTER
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


async def dead_letter_reasons(
    kafka: str, from_consumer: str, expected: int, about: str = ""
) -> list[str]:
    """The reasons of the dead letters `from_consumer` announced that mention `about`, once
    there are `expected` of them (the topics are shared by every test of the session: a
    consumer also dead-letters other tests' records)."""
    reader = AIOKafkaConsumer(
        DEAD_LETTER,
        bootstrap_servers=kafka,
        group_id=f"read-{uuid7()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    reasons: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len(reasons) < expected:
                for records in (await reader.getmany(timeout_ms=500)).values():
                    for r in records:
                        headers = dict(r.headers)
                        reason = headers.get("dead_letter_reason", b"").decode()
                        if headers.get("dead_letter_consumer") == from_consumer.encode() and (
                            about in reason
                        ):
                            reasons.append(reason)
    finally:
        await reader.stop()
    return reasons
