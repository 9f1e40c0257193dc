"""The state of one application's process, rebuilt from the router's log by `mutate`
(replay.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from contracts.catalog import Matter
from contracts.events import Delivery, MissingMaterial
from services.router.domain.clocks import Clocks
from services.router.domain.events import LibraryCertificate, ProcessStarted

Status = Literal[
    "waiting",
    "dispatched",
    "accepted",
    "completed",
    "supplement",
    "rejected",
    "failed",
    "cancelling",
    "cancelled",
]
IN_FLIGHT: frozenset[Status] = frozenset({"dispatched", "accepted", "cancelling"})
# A sub-task's clock runs from its first dispatch until it reaches one of these.
SETTLED: frozenset[Status] = frozenset(
    {"completed", "rejected", "failed", "cancelling", "cancelled"}
)
Ending = Literal["rejected", "withdrawn", "lapsed"]


@dataclass(frozen=True)
class SubtaskState:
    code: str
    department: str
    status: Status = "waiting"
    round: int = 0
    filing_key: str | None = None
    legacy_receipt: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    completed_at: datetime | None = None
    reason: str | None = None
    missing: tuple[MissingMaterial, ...] = ()


@dataclass(frozen=True)
class Fetched:
    """A register record as fetched: whether the register holds it, and the fields asked."""

    found: bool
    record: Mapping[str, Any]
    fields: frozenset[str]


RecordId = tuple[str, str]  # (dataset, key)


@dataclass(frozen=True)
class Evidence:
    """What the router obtained for the application's materials (数据共享, 电子证照).

    A round of evidence begins at the submission and at every answered supplement: at most
    one lookup (one batch per register) for the records not yet held, then one check of
    everything. Sub-tasks are dispatched only once a round is checked and found nothing to
    correct."""

    lookups: int = 0
    pending: str | None = None  # the lookup key awaited
    asked: Mapping[RecordId, frozenset[str]] = field(default_factory=dict)  # by the pending one
    looked_up: bool = False  # this round's lookup was answered
    records: Mapping[RecordId, Fetched] = field(default_factory=dict)
    unavailable: frozenset[str] = frozenset()  # registers this round's lookup could not read
    library: Mapping[tuple[str, str], LibraryCertificate] = field(default_factory=dict)
    checked: bool = False
    corrections: bool = False  # the check asked the applicant for corrections

    @staticmethod
    def of(library: tuple[LibraryCertificate, ...]) -> dict[tuple[str, str], LibraryCertificate]:
        return {(c.kind, c.holder): c for c in library}


@dataclass(frozen=True)
class Process:
    application_id: str
    matter: str
    receipt_number: str
    applicant_name: str
    delivery: Delivery
    form: dict[str, Any]
    materials: frozenset[str]
    subtasks: dict[str, SubtaskState]
    notices_issued: int = 0
    pending_notice: str | None = None
    ending: Ending | None = None
    decided: bool = False
    submitted_at: datetime | None = None
    deferred: frozenset[str] = frozenset()  # accepted as deficient (容缺), owed until handed in
    promised_by: date | None = None
    held: bool = False
    clocks: Clocks = field(default_factory=Clocks)
    evidence: Evidence = field(default_factory=Evidence)
    applicant_kind: str | None = None  # person | company, checked against its register
    applicant_id: str | None = None

    def in_flight(self) -> list[SubtaskState]:
        return [s for s in self.subtasks.values() if s.status in IN_FLIGHT]

    @property
    def owed(self) -> frozenset[str]:
        return self.deferred - self.materials

    def with_subtask(self, code: str, **changes: Any) -> Process:
        return replace(
            self, subtasks={**self.subtasks, code: replace(self.subtasks[code], **changes)}
        )


def start(application_id: str, started: ProcessStarted, matter: Matter) -> Process:
    return Process(
        application_id=application_id,
        matter=started.matter,
        receipt_number=started.receipt_number,
        applicant_name=started.applicant_name,
        delivery=started.delivery,
        form=started.form,
        materials=frozenset(started.materials),
        subtasks={s.code: SubtaskState(s.code, s.department) for s in matter.subtasks},
        submitted_at=started.submitted_at,
        deferred=frozenset(started.deferred_materials),
        promised_by=started.materials_promised_by,
        evidence=Evidence(library=Evidence.of(started.library)),
        applicant_kind=started.applicant_kind,
        applicant_id=started.applicant_id,
    )
