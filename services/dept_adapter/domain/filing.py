"""A filing's state, rebuilt from its stream by a pure fold, and the work it needs next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal

from contracts.envelope import Envelope, Event
from services.dept_adapter.domain.events import (
    AnswerWithheld,
    CancellationRequested,
    FilingRequested,
)

Protocol = Literal["rest", "soap", "poll", "callback"]
RESULTS = frozenset({"SubtaskCompleted", "SubtaskRejected", "SupplementRequested", "SubtaskFailed"})


STREAM_PREFIX = "filing-"


def stream_of(filing_key: str) -> str:
    return STREAM_PREFIX + filing_key


class Work(StrEnum):
    SUBMIT = "submit"
    POLL = "poll"
    AWAIT_CALLBACK = "await-callback"
    CANCEL = "cancel"
    NONE = "none"


@dataclass(frozen=True)
class Filing:
    requested: Envelope
    request: FilingRequested
    version: int
    receipt: str | None = None
    accepted: bool = False
    result: str | None = None
    cancellation: Envelope | None = None
    cancelled: bool = False

    @property
    def key(self) -> str:
        return self.request.filing_key


def mutate(filing: Filing, envelope: Envelope) -> Filing:
    payload, kind = envelope.payload, envelope.event_type
    filing = replace(filing, version=filing.version + 1)
    if kind == "SubtaskAccepted":
        return replace(filing, accepted=True, receipt=payload["legacy_receipt"])
    if kind in RESULTS:
        return replace(filing, result=kind, receipt=payload.get("legacy_receipt") or filing.receipt)
    if kind == AnswerWithheld.event_type:
        return replace(filing, receipt=payload["legacy_receipt"])
    if kind == CancellationRequested.event_type:
        return replace(filing, cancellation=envelope)
    if kind == "FilingCancelled":
        return replace(filing, cancelled=True)
    return filing


def replay(events: Sequence[Envelope]) -> Filing | None:
    """None for a stream that holds no filing (e.g. one cancelled before it was dispatched)."""
    if not events or events[0].event_type != FilingRequested.event_type:
        return None
    first = events[0]
    filing = Filing(first, FilingRequested.model_validate(first.payload), 1)
    for envelope in events[1:]:
        filing = mutate(filing, envelope)
    return filing


def next_work(filing: Filing, protocol: Protocol) -> Work:
    if filing.cancelled:
        return Work.NONE
    if filing.cancellation is not None:
        return Work.CANCEL
    if filing.result is not None:
        return Work.NONE
    if not filing.accepted:
        return Work.SUBMIT
    return Work.POLL if protocol == "poll" else Work.AWAIT_CALLBACK


def answering(event: Event, recorded: Envelope, producer: str, at: datetime) -> Envelope:
    """An envelope for `event` caused by what caused `recorded` (a private event of ours):
    so a task result's causation is the SubtaskDispatched (or SubtaskCancelled) it answers.
    Its traceparent is the current span's (the call's), else `recorded`'s."""
    envelope = Envelope.new(
        event,
        application_id=recorded.application_id,
        producer=producer,
        causation=recorded,
        occurred_at=at,
    )
    return envelope.model_copy(update={"causation_id": recorded.causation_id})
