"""Small builders shared by the tests."""

from __future__ import annotations

from uuid import UUID

from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted


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
