"""What one call to a legacy system came to, whatever its protocol, and the event it makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.envelope import Event
from contracts.events import (
    MissingMaterial,
    SubtaskAccepted,
    SubtaskCompleted,
    SubtaskFailed,
    SubtaskRejected,
    SupplementRequested,
)
from services.dept_adapter.domain.events import FilingRequested


@dataclass(frozen=True)
class Completed:
    receipt: str
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    receipt: str
    reason: str


@dataclass(frozen=True)
class Supplement:
    receipt: str
    materials: tuple[MissingMaterial, ...]


@dataclass(frozen=True)
class Accepted:
    """Filed; the decision comes later (by polling, or by a callback)."""

    receipt: str


@dataclass(frozen=True)
class Processing:
    """Polled: not decided yet."""


@dataclass(frozen=True)
class Cancelled:
    receipt: str


@dataclass(frozen=True)
class Retryable:
    """The same request may succeed later (500, 503, soap:Server, connection error, time-out)."""

    error: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Terminal:
    """Retrying cannot help (400, 404, soap:Client, an answer that cannot be understood)."""

    error: str


Decision = Completed | Rejected | Supplement
Answer = (
    Completed | Rejected | Supplement | Accepted | Processing | Cancelled | Retryable | Terminal
)


def receipt_of(answer: Answer) -> str | None:
    return getattr(answer, "receipt", None)


def result_event(answer: Answer, request: FilingRequested) -> Event | None:
    """The task result an answer to a filing (submit or poll) makes, if any."""
    common = {
        "subtask": request.subtask,
        "department": request.department,
        "filing_key": request.filing_key,
    }
    match answer:
        case Completed(receipt, outputs):
            return SubtaskCompleted(**common, legacy_receipt=receipt, outputs=outputs)
        case Rejected(receipt, reason):
            return SubtaskRejected(**common, legacy_receipt=receipt, reason=reason)
        case Supplement(receipt, materials):
            return SupplementRequested(**common, legacy_receipt=receipt, materials=materials)
        case Accepted(receipt):
            return SubtaskAccepted(**common, legacy_receipt=receipt)
        case Terminal(error):
            return SubtaskFailed(**common, error=error)
    return None
