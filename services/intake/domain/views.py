"""What the API answers: the guide of a matter, an application's status, pages of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import Certificate, Reason, SupplementRequest
from services.intake.domain.aftercare import (
    ClockView,
    CollectionView,
    DeferredView,
    EvaluationView,
    FollowUpView,
    HeldView,
)
from services.intake.domain.progress import ApplicationStatus, SubtaskStatus


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class MaterialGuide(_View):
    code: str
    name: str
    source: str = Field(
        description="applicant | shared:<dataset> | e-certificate:<kind> | generated"
    )
    key: bool = Field(description="A key material is never accepted as missing (容缺).")
    spared: bool = Field(
        description="True: the applicant need not bring it (unless it cannot be fetched)."
    )


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
    due_at: datetime | None = Field(description="The department's deadline (working days).")


class PendingSupplement(_View):
    notice_id: str
    requests: list[SupplementRequest]
    issued_at: datetime
    due_at: datetime | None = Field(description="Unanswered by then, the application lapses.")


class OutcomeView(_View):
    decision: str = Field(description="approved | rejected | withdrawn | lapsed")
    decided_at: datetime
    certificates: list[Certificate]
    reasons: list[Reason]
    started_at: datetime | None = Field(description="When the application's clock started.")
    promised_due_at: datetime | None
    statutory_due_at: datetime | None
    working_days: float | None = Field(description="Start to decision, pauses excluded.")
    on_time: bool | None = Field(description="Decided by promised_due_at.")


class NoticeView(_View):
    notice: str
    notice_key: str
    status: str = Field(description="delivered | failed")
    channel: str
    recipient: str
    attempts: int
    detail: str | None = Field(
        description="the receipt when delivered; when failed the same neutral words whatever"
        " the cause"
    )
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
    visits: int = Field(description="In-person visits so far (跑一次): counter, pickup.")
    collection: str = Field(description="electronic | pickup | express")
    collected: CollectionView | None
    deferred: DeferredView | None = Field(description="Deficiency acceptance (容缺), if any.")
    held: HeldView | None = Field(description="The one result waits for deferred materials.")
    clocks: list[ClockView] = Field(description="Warnings and overdues per clock (电子监察).")
    evaluation: EvaluationView | None
    follow_ups: list[FollowUpView]
    timeline: list[TimelineEntry]


class ApplicationPage(_View):
    items: list[ApplicationSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class DataAccess(_View):
    """One access to the application's personal data."""

    at: datetime
    source: Literal["register", "e-certificate", "clerk", "ops"] = Field(
        description="register: a lookup through the data-sharing platform; e-certificate: a"
        " certificate taken from the library; clerk: read by hall staff; ops: read on the"
        " ops console"
    )
    who: str = Field(description="The service (and platform), the clerk's client, or ops.")
    what: str = Field(description="The register (dataset), the material, or the view read.")
    fields: list[str] = Field(description="The register fields that came back.")
    records: list[str] = Field(description="The records' keys (or holders), masked.")
    why: str = Field(description="The matter and sub-tasks served, or the screen.")
    outcome: str | None


class DataAccessLedger(_View):
    application_id: UUID
    entries: list[DataAccess]


CertificateStatus = Literal["valid", "replaced"]


class ECertificateView(_View):
    """An e-certificate in the library (电子证照库), as hall staff see it."""

    number: str
    kind: str
    title: str
    issuer: str = Field(description="The issuing department's code.")
    issuer_name: str
    issued_at: datetime
    status: CertificateStatus
    holder: str = Field(description="ID number or unified social credit code.")
    holder_name: str
    application_id: UUID
    verification_hash: str


class ECertificateList(_View):
    holder: str
    items: list[ECertificateView]


class CertificateCheck(_View):
    """The public check of a certificate's number and verification hash."""

    verdict: Literal["genuine", "replaced", "unknown"] = Field(
        description="genuine: issued and valid; replaced: issued, then replaced by a newer"
        " one; unknown: no certificate has this number and hash"
    )
    number: str
    kind: str | None = None
    title: str | None = None
    issuer: str | None = None
    issuer_name: str | None = None
    issued_on: str | None = Field(default=None, description="Local date of issue.")
    status: CertificateStatus | None = None
    holder_name: str | None = Field(default=None, description="Masked.")
