"""What follows a filing: deferred materials owed, the held result, clocks (电子监察),
the collection of the result, the evaluation (好差评) and the follow-up of a low rating."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import EvaluationRecorder
from services.intake.domain.callers import Caller

FollowUpState = Literal["open", "overdue", "closed"]
LOW_RATINGS = frozenset({1, 2})


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class DeferredView(_View):
    materials: list[str] = Field(description="Accepted as missing (容缺) at submission.")
    promised_by: date
    handed_in: list[str]
    owed: list[str] = Field(description="Still to be brought.")


class HeldView(_View):
    missing: list[str] = Field(description="What the one result waits for.")
    promised_by: date | None
    held_at: datetime


class ClockView(_View):
    """One clock's limit that a warning (80 %) or an overdue (100 %) was raised for."""

    clock: str = Field(description="application | subtask | supplement | deficiency | follow-up")
    clock_id: str
    limit: str = Field(description="promised | statutory | own")
    department: str | None
    limit_days: int
    due_at: datetime
    warned_at: datetime | None
    exceeded_at: datetime | None


class CollectionView(_View):
    method: str = Field(description="pickup | express")
    collected_at: datetime


class EvaluationView(_View):
    rating: int
    comment: str | None
    evaluated_at: datetime
    recorded_by: EvaluationRecorder = Field(
        description="applicant: through the filing client; clerk: recorded at the counter"
    )


class FollowUpView(_View):
    case_id: str
    application_id: UUID
    rating: int
    comment: str | None
    time_limit_days: int
    opened_at: datetime
    recorded_by: EvaluationRecorder = Field(description="Who recorded the low rating.")
    state: FollowUpState
    warned_at: datetime | None
    exceeded_at: datetime | None = Field(description="Overdue from then on, if not closed.")
    closed_at: datetime | None
    response: str | None
    clerk: str | None


class FollowUpPage(_View):
    items: list[FollowUpView]
    total: int
    limit: int
    offset: int
    next_offset: int | None


def owed(deferred: Sequence[str], handed_in: Collection[str], *, closed: bool) -> list[str]:
    """Deferred materials not yet handed in; nothing is owed once the application is closed."""
    return [] if closed else [m for m in deferred if m not in handed_in]


def evaluation_recorder(caller: Caller) -> EvaluationRecorder:
    """An evaluation is the applicant's voice: given through the client that filed the
    application (only that one may see it), or told to a clerk, who records it as such."""
    return "clerk" if caller.kind == "clerk" else "applicant"


def follow_up_case(application_id: UUID) -> str:
    """One evaluation per application, so one follow-up case at most: named after it."""
    return f"FU-{application_id}"


def follow_up_state(closed_at: datetime | None, exceeded_at: datetime | None) -> FollowUpState:
    if closed_at is not None:
        return "closed"
    return "overdue" if exceeded_at is not None else "open"
