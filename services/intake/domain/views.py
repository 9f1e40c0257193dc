"""What the API answers: the guide of a matter, an application's status, pages of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import Certificate, Reason, SupplementRequest
from services.intake.domain.progress import ApplicationStatus, SubtaskStatus


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class MaterialGuide(_View):
    code: str
    name: str
    source: str = Field(description="applicant | shared:<dataset> | generated")
    key: bool = Field(description="A key material is never accepted as missing (容缺).")
    spared: bool = Field(description="True: the applicant need not bring it.")


class SubtaskGuide(_View):
    code: str
    title: str
    requires: list[str]
    time_limit_days: int = Field(description="working days")


class DepartmentGuide(_View):
    department: str
    name: str
    subtasks: list[SubtaskGuide]


class MatterSummary(_View):
    code: str
    name: str
    description: str
    promised_days: int
    statutory_days: int
    max_visits: int
    departments: list[str]


class MatterGuide(MatterSummary):
    form_schema: dict[str, Any] = Field(description="JSON Schema (2020-12) of the unified form")
    materials: list[MaterialGuide]
    materials_spared: list[str] = Field(description="Codes the applicant need not bring.")
    department_tasks: list[DepartmentGuide]


class SubmissionAccepted(_View):
    application_id: UUID
    receipt_number: str
    status_url: str


class RequestAccepted(_View):
    application_id: UUID
    status_url: str


class SubtaskView(_View):
    subtask: str
    department: str
    title: str | None
    status: SubtaskStatus
    legacy_receipt: str | None
    outputs: dict[str, Any]
    reason: str | None
    updated_at: datetime


class PendingSupplement(_View):
    notice_id: str
    requests: list[SupplementRequest]
    issued_at: datetime


class OutcomeView(_View):
    decision: str
    decided_at: datetime
    certificates: list[Certificate]
    reasons: list[Reason]


class NoticeView(_View):
    notice: str
    notice_key: str
    status: str = Field(description="delivered | failed")
    channel: str
    recipient: str
    attempts: int
    detail: str | None = Field(description="receipt when delivered, error when failed")
    occurred_at: datetime


class TimelineEntry(_View):
    occurred_at: datetime
    event_type: str
    producer: str
    summary: str


class ApplicationSummary(_View):
    application_id: UUID
    matter: str
    receipt_number: str
    status: ApplicationStatus
    channel: str
    client: str
    applicant_name: str
    submitted_at: datetime
    updated_at: datetime


class ApplicationView(ApplicationSummary):
    subtasks: list[SubtaskView]
    outputs: dict[str, dict[str, Any]] = Field(description="Outputs so far, per sub-task.")
    supplement: PendingSupplement | None = Field(description="The notice awaiting an answer.")
    outcome: OutcomeView | None
    notices: list[NoticeView]
    timeline: list[TimelineEntry]


class ApplicationPage(_View):
    items: list[ApplicationSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None
