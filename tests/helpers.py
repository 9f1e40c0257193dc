"""Small builders shared by the tests."""

from __future__ import annotations

from uuid import UUID

from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted


def event(application_id: UUID | None = None, n: int = 0, producer: str = "test") -> Envelope:
    """A registered event (it goes to onewindow.task-results) numbered `n` in its outputs."""
    return Envelope.new(
        SubtaskCompleted(subtask="amr-licence", department="amr", outputs={"n": n}),
        application_id=application_id or uuid7(),
        producer=producer,
    )
