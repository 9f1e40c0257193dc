"""Events that cross service boundaries. Past tense, frozen, registered by (type, version).

Who publishes what (topics in `contracts.topics`):
- intake → applications: ApplicationSubmitted, SupplementSubmitted, ApplicationWithdrawn,
  MaterialsHandedIn, ResultCollected, ApplicationEvaluated, FollowUpOpened, FollowUpClosed
- router → tasks.<dept>: SubtaskDispatched, SubtaskCancelled
- dept_adapter / legacy systems → task-results: SubtaskAccepted, SubtaskCompleted,
  SubtaskRejected, SupplementRequested, SubtaskFailed, FilingCancelled
- router → outcomes: SupplementNoticeIssued, ResultHeld, OutcomeDecided
- router → progress: ResultRecorded (each task result it applied), EvidenceChecked
- router → lookups: RegisterLookupRequested (register records an application needs)
- dept_adapter → lookup-results: RegisterLookupAnswered (what the registers answered)
- router → supervision: TimeLimitWarned, TimeLimitExceeded (电子监察)
- notifier → notifications: NoticeDelivered, NoticeDeliveryFailed

Every task result names the `filing_key` of the dispatch it answers; a result whose key is not
the sub-task's current filing is stale and changes nothing. Only the router judges results:
what it applied it publishes as ResultRecorded, what it did not it records as ResultIgnored,
and a result naming a sub-task or filing the application does not have it dead-letters.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import Envelope, Event
from contracts.registry import register

Channel = Literal["window", "web", "mobile", "kiosk"]
DeliveryChannel = Literal["webhook", "email", "sms"]
EvaluationRecorder = Literal["applicant", "clerk"]
NoticeKind = Literal[
    "result", "rejection", "supplement", "withdrawal", "lapse", "held", "reminder", "supervision"
]

_DEPARTMENT = Field(pattern=r"^[a-z][a-z0-9-]*$", examples=["amr"])
_SUBTASK = Field(min_length=1, examples=["amr-licence"])
_FILING_KEY = Field(
    min_length=1,
    max_length=200,
    description="Idempotency key of one filing at the legacy system; never files twice.",
    examples=["0193a1c2-7c1e-7d2a-9f1e-3b2a1c0d9e8f:amr-licence:1"],
)


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Delivery(_Part):
    """Where the applicant wants the one result: a webhook URL, an e-mail address or a mobile."""

    channel: DeliveryChannel
    address: str = Field(min_length=3, max_length=500, examples=["chen@example.cn"])


class MissingMaterial(_Part):
    code: str = Field(min_length=1, description="Material code, or the form field to correct.")
    name: str = Field(min_length=1, examples=["公司章程"])
    reason: str = Field(min_length=1)


class SupplementRequest(_Part):
    subtask: str = _SUBTASK
    department: str = _DEPARTMENT
    materials: tuple[MissingMaterial, ...] = Field(min_length=1)


class Holder(_Part):
    id: str = Field(
        min_length=1,
        description="Resident ID number or unified social credit code.",
        examples=["91330106MA2H3K7P1E"],
    )
    name: str = Field(min_length=1, examples=["杭州一窗科技有限公司"])


class Certificate(_Part):
    subtask: str = _SUBTASK
    department: str = _DEPARTMENT
    title: str = Field(min_length=1, examples=["营业执照"])
    number: str = Field(min_length=1, examples=["330100984437842"])
    issued_at: AwareDatetime
    kind: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]*$",
        examples=["business-licence"],
        description="Its kind in the e-certificate library (电子证照库).",
    )
    holders: tuple[Holder, ...] = Field(default=(), description="Who holds it.")
    replaces: bool = Field(
        default=False, description="It replaces the holders' earlier ones of its kind."
    )


class Reason(_Part):
    subtask: str = _SUBTASK
    department: str = _DEPARTMENT
    reason: str = Field(min_length=1)


# intake → onewindow.applications


@register
class ApplicationSubmitted(Event):
    event_type = "ApplicationSubmitted"
    matter: str = Field(description="Catalog code of the matter.", examples=["business-startup"])
    channel: Channel
    client: str = Field(min_length=1, description="The API client that submitted it.")
    receipt_number: str = Field(description="Receipt number handed to the applicant.")
    applicant: dict[str, Any]
    form: dict[str, Any] = Field(description="The unified form, validated against the catalog.")
    materials: tuple[str, ...] = Field(
        default=(), description="Codes of the materials the applicant handed in or uploaded."
    )
    delivery: Delivery
    # at the hall: a visit, how the result is collected, materials deferred (容缺)
    in_person: bool = Field(default=False, description="Filed at a hall's window: a visit.")
    collection: Literal["electronic", "pickup", "express"] = Field(
        default="electronic", description="How the paper result, if any, reaches the applicant."
    )
    deferred_materials: tuple[str, ...] = Field(
        default=(), description="Non-key materials accepted as deficient (容缺), brought later."
    )
    materials_promised_by: date | None = Field(
        default=None, description="The date the applicant promised the deferred materials by."
    )


@register
class SupplementSubmitted(Event):
    event_type = "SupplementSubmitted"
    notice_id: str = Field(min_length=1, description="The supplement notice this answers.")
    materials: tuple[str, ...] = Field(default=(), description="Material codes now handed in.")
    form: dict[str, Any] = Field(
        default_factory=dict, description="The whole corrected form, validated against the catalog."
    )
    in_person: bool = Field(default=False, description="Handed in at a window: a visit.")


@register
class ApplicationWithdrawn(Event):
    event_type = "ApplicationWithdrawn"
    reason: str = Field(min_length=1, max_length=500)


# router → onewindow.tasks.<department>


@register
class SubtaskDispatched(Event):
    event_type = "SubtaskDispatched"
    subtask: str = _SUBTASK
    department: str = _DEPARTMENT
    title: str = Field(min_length=1, examples=["企业设立登记并核发营业执照"])
    filing_key: str = _FILING_KEY
    inputs: dict[str, Any] = Field(description="Mapped from the form and upstream outputs.")
    materials: tuple[str, ...] = Field(default=(), description="Codes of the materials at hand.")
    time_limit_days: int = Field(ge=1, description="Working days the department has.")
    # the department's time limit, and the materials it proceeds without
    due_at: AwareDatetime | None = Field(default=None, description="The department's deadline.")
    deferred_materials: tuple[str, ...] = Field(
        default=(), description="Accepted as deficient (容缺): proceed without them."
    )


@register
class SubtaskCancelled(Event):
    event_type = "SubtaskCancelled"
    subtask: str = _SUBTASK
    department: str = _DEPARTMENT
    filing_key: str = _FILING_KEY
    reason: str = Field(min_length=1)


# dept_adapter and topic-consuming legacy systems → onewindow.task-results


class _TaskResult(Event):
    subtask: str = _SUBTASK
    department: str = _DEPARTMENT
    filing_key: str = _FILING_KEY


@register
class SubtaskAccepted(_TaskResult):
    event_type = "SubtaskAccepted"
    legacy_receipt: str = Field(min_length=1, description="The department's own receipt number.")


@register
class SubtaskCompleted(_TaskResult):
    event_type = "SubtaskCompleted"
    legacy_receipt: str | None = None
    outputs: dict[str, Any] = Field(default_factory=dict, examples=[{"credit_code": "9133..."}])


@register
class SubtaskRejected(_TaskResult):
    event_type = "SubtaskRejected"
    legacy_receipt: str | None = None
    reason: str = Field(min_length=1)


@register
class SupplementRequested(_TaskResult):
    event_type = "SupplementRequested"
    legacy_receipt: str | None = None
    materials: tuple[MissingMaterial, ...] = Field(min_length=1)


@register
class SubtaskFailed(_TaskResult):
    event_type = "SubtaskFailed"
    error: str = Field(min_length=1, description="A terminal error: retrying cannot help.")


@register
class FilingCancelled(_TaskResult):
    event_type = "FilingCancelled"
    legacy_receipt: str | None = None
    confirmed: bool = Field(description="False if the legacy system could not be told.")


# router → onewindow.outcomes


class _ToApplicant(Event):
    matter: str
    matter_name: str = Field(examples=["企业开办"])
    receipt_number: str
    applicant_name: str = Field(min_length=1)
    delivery: Delivery


@register
class SupplementNoticeIssued(_ToApplicant):
    """ONE notice (一次性告知) listing what every asking department needs."""

    event_type = "SupplementNoticeIssued"
    notice_id: str = Field(min_length=1, examples=["S1"])
    requests: tuple[SupplementRequest, ...] = Field(min_length=1)
    due_at: AwareDatetime | None = Field(
        default=None, description="Unanswered by then, the application lapses."
    )


@register
class ResultHeld(_ToApplicant):
    """Every department is done, but the one result waits for deficient materials (容缺)."""

    event_type = "ResultHeld"
    missing: tuple[str, ...] = Field(min_length=1, description="Material codes still owed.")
    promised_by: date


@register
class OutcomeDecided(_ToApplicant):
    event_type = "OutcomeDecided"
    decision: Literal["approved", "rejected", "withdrawn", "lapsed"]
    outputs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Outputs per sub-task."
    )
    certificates: tuple[Certificate, ...] = ()
    reasons: tuple[Reason, ...] = Field(
        default=(), description="Every department's reason, when rejected."
    )
    # the application's clock, for statistics and supervision
    started_at: AwareDatetime | None = Field(default=None, description="When the count began.")
    promised_due_at: AwareDatetime | None = Field(default=None, description="After pauses.")
    statutory_due_at: AwareDatetime | None = Field(default=None, description="After pauses.")
    working_days: float | None = Field(
        default=None, ge=0, description="Working days from start to decision, pauses excluded."
    )
    on_time: bool | None = Field(default=None, description="Decided by promised_due_at.")


# notifier → onewindow.notifications


@register
class NoticeDelivered(Event):
    event_type = "NoticeDelivered"
    notice: NoticeKind
    notice_key: str = Field(description="One notice, delivered once: outcome or notice id.")
    channel: DeliveryChannel
    recipient: str = Field(description="Masked address.")
    attempts: int = Field(ge=1)
    receipt: str | None = Field(default=None, description="Message id or gateway answer.")
    result_hash: str | None = Field(default=None, description="sha256 of the one result.")
    delivered_at: datetime


@register
class NoticeDeliveryFailed(Event):
    event_type = "NoticeDeliveryFailed"
    notice: NoticeKind
    notice_key: str
    channel: DeliveryChannel
    recipient: str
    attempts: int = Field(ge=1)
    error: str = Field(min_length=1)


# time limits, supervision, visits, evaluations


@register
class MaterialsHandedIn(Event):
    """Materials accepted as deficient (容缺) arrive; the held result may be released."""

    event_type = "MaterialsHandedIn"
    materials: tuple[str, ...] = Field(min_length=1)
    in_person: bool = Field(description="Handed in at a window: a visit.")


@register
class ResultCollected(Event):
    """The applicant collected the one result: picked up at a hall (a visit) or by express."""

    event_type = "ResultCollected"
    method: Literal["pickup", "express"]
    in_person: bool


@register
class ApplicationEvaluated(Event):
    """好差评: one five-level rating per application, after its result. The applicant's own,
    given through the client that filed the application, or told to a clerk at the counter
    who recorded it: such a rating counts in no satisfaction rate."""

    event_type = "ApplicationEvaluated"
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)
    recorded_by: EvaluationRecorder = Field(
        default="applicant",
        description="applicant: through the filing client; clerk: recorded by hall staff",
    )


@register
class FollowUpOpened(Event):
    """A rating of 1 or 2 opens a case a clerk must close with a response (差评整改)."""

    event_type = "FollowUpOpened"
    case_id: str = Field(min_length=1)
    rating: int = Field(ge=1, le=2)
    comment: str | None = None
    time_limit_days: int = Field(ge=1)
    recorded_by: EvaluationRecorder = Field(
        default="applicant", description="Who recorded the rating (ApplicationEvaluated)."
    )


@register
class FollowUpClosed(Event):
    event_type = "FollowUpClosed"
    case_id: str = Field(min_length=1)
    response: str = Field(min_length=1, max_length=2000)
    clerk: str = Field(min_length=1)


ClockKind = Literal["application", "subtask", "supplement", "deficiency", "follow-up"]


class _ClockEvent(Event):
    clock: ClockKind
    clock_id: str = Field(
        min_length=1, description="application | <subtask> | S<n> | deficiency | <case_id>"
    )
    limit: Literal["promised", "statutory", "own"] = Field(
        description="Which limit: the matter's promised or statutory one, or the clock's own."
    )
    department: str | None = Field(default=None, description="The department it concerns.")
    limit_days: int = Field(ge=1, description="The limit in working days.")
    started_at: AwareDatetime
    due_at: AwareDatetime = Field(description="Moved on by supplement pauses.")


@register
class TimeLimitWarned(_ClockEvent):
    """80 % of a time limit used (电子监察预警); raised once per clock and limit."""

    event_type = "TimeLimitWarned"


@register
class TimeLimitExceeded(_ClockEvent):
    """100 % of a time limit used (超期); raised once per clock and limit."""

    event_type = "TimeLimitExceeded"


# router → onewindow.progress: the task results the router applied, in the order it applied
# them. Its log is the system of record for every task result, including those of departments
# that answer on Kafka themselves (the read model and its rebuilds project these, never the raw
# answers on onewindow.task-results).


@register
class ResultRecorded(Event):
    """The router applied this task result to the sub-task and filing it names: it is now that
    sub-task's progress. A result the router did not apply is never published (ResultIgnored)."""

    event_type = "ResultRecorded"
    result: Envelope = Field(
        description="The task result as the department sent it: its whole envelope, the "
        "payload being one of SubtaskAccepted, SubtaskCompleted, SubtaskRejected, "
        "SupplementRequested, SubtaskFailed, FilingCancelled."
    )


# Data sharing (数据共享): the router asks for the register records an application needs, one
# batch per register; dept_adapter fetches them from the data-sharing platform and answers with
# only the fields asked for (data minimisation); the router records what it obtained.

_DATASET = Field(pattern=r"^[a-z][a-z0-9-]*$", examples=["population"])
_LOOKUP_KEY = Field(
    min_length=1,
    max_length=200,
    examples=["0193a1c2-7c1e-7d2a-9f1e-3b2a1c0d9e8f:lookup:1"],
    description="One lookup of an application: <application_id>:lookup:<n>.",
)


class WantedRecord(_Part):
    key: str = Field(min_length=1, max_length=200, examples=["330106199003071236"])
    fields: tuple[str, ...] = Field(description="The only fields of the record kept.")


class _DatasetPart(_Part):
    dataset: str = _DATASET
    purpose: str = Field(
        min_length=1,
        examples=["amr-licence"],
        description="The sub-task the records serve; *intake when they serve several.",
    )
    materials: tuple[str, ...] = Field(min_length=1, description="The materials they are.")
    subtasks: tuple[str, ...] = Field(min_length=1, description="The sub-tasks they serve.")


class DatasetLookup(_DatasetPart):
    records: tuple[WantedRecord, ...] = Field(min_length=1, max_length=50)


class FetchedRecord(_Part):
    key: str = Field(min_length=1, max_length=200)
    found: bool
    record: dict[str, Any] = Field(
        default_factory=dict, description="Only the fields asked for this key."
    )
    version: str | None = Field(default=None, description="When the register last changed it.")
    digest: str | None = Field(
        default=None, description="sha256 of the whole record as the register holds it."
    )


class DatasetAnswer(_DatasetPart):
    available: bool = Field(description="False: the register could not be read (after retries).")
    records: tuple[FetchedRecord, ...] = ()
    error: str | None = None
    attempts: int = Field(ge=0, description="Requests made to the platform for it.")


@register
class RegisterLookupRequested(Event):
    """The register records an application needs, one batch per register (数据共享)."""

    event_type = "RegisterLookupRequested"
    lookup_key: str = _LOOKUP_KEY
    matter: str
    lookups: tuple[DatasetLookup, ...] = Field(min_length=1)


@register
class RegisterLookupAnswered(Event):
    """What the registers answered to a lookup: per register, each record (its asked fields
    only, a digest of the whole), or that the register could not be read."""

    event_type = "RegisterLookupAnswered"
    lookup_key: str = _LOOKUP_KEY
    matter: str
    answers: tuple[DatasetAnswer, ...] = Field(min_length=1)


class MaterialObtained(_Part):
    material: str = Field(min_length=1, examples=["id-legal-person"])
    via: Literal["register", "e-certificate", "applicant"] = Field(
        description="Fetched from a register, taken from the e-certificate library, or the"
        " applicant brings it (handed in, or asked for because it could not be fetched)."
    )
    dataset: str | None = Field(default=None, description="The register it was fetched from.")
    certificate: str | None = Field(default=None, description="The e-certificate's number.")
    holder: str | None = Field(default=None, description="The e-certificate's holder.")
    subtasks: tuple[str, ...] = Field(description="The sub-tasks it serves.")


@register
class EvidenceChecked(Event):
    """How the router obtained the materials of the sub-tasks still to run, and what checking
    the registers' records against the form found: corrections to ask for (a supplement) or
    reasons to refuse. Sub-tasks are dispatched only once nothing is left to correct."""

    event_type = "EvidenceChecked"
    materials: tuple[MaterialObtained, ...]
    supplements: tuple[SupplementRequest, ...] = ()
    refusals: tuple[Reason, ...] = ()


# recorded in router's log, never published


IgnoredBecause = Literal["decided", "stale", "answered", "cancelling", "not-cancelling"]


@register
class ResultIgnored(Event):
    """A task result the router kept but did not apply: the application was already decided,
    the filing is stale (an earlier round), the filing already has its answer (a second,
    different one), the filing is being cancelled (only its cancellation or a refusal
    counts), or a cancellation nobody asked for. Nothing the applicant sees changes."""

    event_type = "ResultIgnored"
    result: Envelope = Field(description="The task result's whole envelope.")
    reason: IgnoredBecause
