"""The router's decisions, on the real catalog, without I/O: a test drives one application
through `record`/`advance`/`mutate` exactly as the handler does."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from uuid6 import uuid7

from contracts.calendar import load_calendar
from contracts.catalog import EXAMPLES_DIR, load_catalog
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    Delivery,
    FilingCancelled,
    MissingMaterial,
    OutcomeDecided,
    RegisterLookupRequested,
    ResultIgnored,
    SubtaskCancelled,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskRejected,
    SupplementNoticeIssued,
    SupplementRequested,
    SupplementSubmitted,
)
from services.router.domain.deadlines import Timing
from services.router.domain.events import LibraryCertificate
from services.router.domain.planning import advance, decide_on
from services.router.domain.process import Process, start
from services.router.domain.recording import started
from services.router.domain.replay import mutate
from services.router.domain.supervision import overdue
from tests.registers import agreeing

CATALOG = load_catalog()
CALENDAR = load_calendar()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Flow:
    """One application of a matter, driven through the router's pure functions. Its lookups
    of register records are answered at once by a register that agrees with the form
    (tests/registers.py), unless `answering` is off; `unavailable` registers cannot be read,
    `changed` records differ from the form."""

    def __init__(
        self,
        matter: str = "business-startup",
        materials: tuple[str, ...] = (),
        now: datetime = MONDAY,
        *,
        answering: bool = True,
        unavailable: frozenset[str] = frozenset(),
        changed: dict[tuple[str, str], Any] | None = None,
        form: dict[str, Any] | None = None,
        library: tuple[LibraryCertificate, ...] = (),
        **extra: Any,
    ) -> None:
        example = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text())
        self.application_id = uuid7()
        self.matter = CATALOG.matter(matter)
        self.now = now  # the injected clock: a test moves it
        self.answering, self.unavailable, self.changed = answering, unavailable, changed
        self.history: list[Event] = []  # every event recorded, in order
        self.applicant: dict[str, Any] = example["applicant"]
        submitted = ApplicationSubmitted(
            matter=matter, channel="web", client="web-portal", receipt_number="YC1",
            applicant=example["applicant"], form=form or example["form"], materials=materials,
            delivery=Delivery(channel="email", address="chen@example.cn"), **extra,
        )  # fmt: skip
        first = started(submitted, self.now, library)
        self.process: Process = start(str(self.application_id), first, self.matter)
        self.decided = self._apply([first, *advance(self.process, self.matter, self.timing)])

    @property
    def timing(self) -> Timing:
        return Timing(CALENDAR, self.now)

    def _apply(self, events: list[Event]) -> list[Event]:
        for event in events:
            self.process = mutate(self.process, event)
        self.history.extend(events)
        answers = []
        for asked in of(RegisterLookupRequested, events) if self.answering else []:
            answers += self.answer(asked)
        return [*events, *answers]

    def answer(self, asked: RegisterLookupRequested) -> list[Event]:
        """As dept_adapter answers a lookup, from a register agreeing with the form."""
        return self.receive(
            agreeing(self.matter, self.process.form, asked, applicant=self.applicant,
                     unavailable=self.unavailable, changed=self.changed)
        )  # fmt: skip

    def receive(self, event: Event) -> list[Event]:
        """As the handler does: the clocks brought up to now, then the fact recorded."""
        envelope = Envelope.new(
            event, application_id=self.application_id, producer="test"
        ).model_copy(update={"occurred_at": self.now})
        caught_up = self.tick(self.now)
        return [
            *caught_up,
            *self._apply(decide_on(self.process, self.matter, envelope, self.timing)),
        ]

    def tick(self, now: datetime) -> list[Event]:
        """As the ticker does at `now`."""
        self.now = now
        return self._apply(overdue(self.process, self.matter, self.timing))

    def key(self, subtask: str) -> str:
        key = self.process.subtasks[subtask].filing_key
        assert key is not None
        return key

    def complete(self, subtask: str, **outputs: Any) -> list[Event]:
        dept = self.matter.subtask(subtask).department
        return self.receive(
            SubtaskCompleted(
                subtask=subtask, department=dept, filing_key=self.key(subtask), outputs=outputs
            )
        )

    def supplement(self, subtask: str, code: str) -> list[Event]:
        dept = self.matter.subtask(subtask).department
        missing = MissingMaterial(code=code, name=code, reason=f"{dept} needs {code}")
        return self.receive(
            SupplementRequested(
                subtask=subtask, department=dept, filing_key=self.key(subtask), materials=(missing,)
            )
        )


def of(kind: type[Event], events: list[Event]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def ignored(events: list[Event]) -> list[str]:
    """Why each answer among `events` was ignored; every event of them is such a record."""
    assert all(isinstance(e, ResultIgnored) for e in events), events
    return [e.reason for e in of(ResultIgnored, events)]


LICENCE = {
    "credit_code": "91330106MA2H3XYZ0A",
    "licence_number": "330106000123456",
    "company_name": "杭州一窗科技有限公司",
    "established_on": "2026-11-23",
}


def test_a_submission_dispatches_the_roots_with_inputs_mapped_from_the_form() -> None:
    flow = Flow()
    (dispatched,) = of(SubtaskDispatched, flow.decided)
    assert dispatched.subtask == "amr-licence" and dispatched.department == "amr"
    assert dispatched.filing_key == f"{flow.application_id}:amr-licence:1"
    assert dispatched.inputs["company_name"] == "杭州一窗科技有限公司"
    assert dispatched.inputs["registration_type"] == "设立登记"
    assert "articles" in dispatched.materials  # generated: never the applicant's to bring
    assert "premises-proof" not in dispatched.materials  # the applicant's, not handed in


def test_upstream_outputs_flow_into_the_next_departments_inputs() -> None:
    flow = Flow()
    dispatched = of(SubtaskDispatched, flow.complete("amr-licence", **LICENCE))
    assert {d.department for d in dispatched} == {"psb", "tax", "hrss", "hpf"}
    assert all(d.inputs["credit_code"] == LICENCE["credit_code"] for d in dispatched)


def test_all_done_gives_one_approved_outcome_with_every_certificate() -> None:
    flow = Flow()
    flow.complete("amr-licence", **LICENCE)
    flow.complete("psb-seal", seal_filing_number="3301062026000123")
    flow.complete("tax-invoice", tax_registration_number=LICENCE["credit_code"], invoice_quota="1")
    flow.complete("hrss-social-insurance", social_insurance_number="33010620261234")
    (outcome,) = of(OutcomeDecided, flow.complete("hpf-provident-fund", provident_fund_account="1"))
    assert outcome.decision == "approved"
    assert {c.title for c in outcome.certificates} >= {"营业执照", "印章刻制备案回执"}
    assert len(outcome.certificates) == 5
    assert outcome.outputs["amr-licence"]["credit_code"] == LICENCE["credit_code"]
    assert outcome.delivery.channel == "email" and outcome.matter_name == "企业开办"


def test_a_second_answer_is_recorded_as_ignored_and_changes_nothing() -> None:
    flow = Flow()
    key = flow.key("amr-licence")
    flow.complete("amr-licence", **LICENCE)
    before = flow.process
    other = {**LICENCE, "credit_code": "X"}
    again = SubtaskCompleted(subtask="amr-licence", department="amr", filing_key=key, outputs=other)
    (kept,) = flow.receive(again)
    assert isinstance(kept, ResultIgnored) and kept.reason == "answered"
    assert kept.result.payload["outputs"] == other
    assert flow.process == before


def test_a_rejection_cancels_what_is_in_flight_and_reports_every_reason() -> None:
    flow = Flow()
    flow.complete("amr-licence", **LICENCE)
    flow.complete("psb-seal", seal_filing_number="1")
    decided = flow.receive(
        SubtaskRejected(
            subtask="tax-invoice", department="tax", filing_key=flow.key("tax-invoice"),
            reason="税务不予办理",
        )
    )  # fmt: skip
    cancelled = of(SubtaskCancelled, decided)
    assert {c.subtask for c in cancelled} == {"hrss-social-insurance", "hpf-provident-fund"}
    assert of(OutcomeDecided, decided) == []  # not before every department has answered
    flow.receive(
        SubtaskRejected(
            subtask="hrss-social-insurance", department="hrss",
            filing_key=flow.key("hrss-social-insurance"), reason="人社不予办理",
        )
    )  # fmt: skip
    (outcome,) = of(
        OutcomeDecided,
        flow.receive(
            FilingCancelled(
                subtask="hpf-provident-fund", department="hpf",
                filing_key=flow.key("hpf-provident-fund"), confirmed=True,
            )
        ),
    )  # fmt: skip
    assert outcome.decision == "rejected"
    assert {r.reason for r in outcome.reasons} == {"税务不予办理", "人社不予办理"}


def test_supplements_from_two_departments_make_one_notice_and_only_they_run_again() -> None:
    flow = Flow()
    flow.complete("amr-licence", **LICENCE)
    assert of(SupplementNoticeIssued, flow.supplement("tax-invoice", "id-tax-officer")) == []
    flow.supplement("hrss-social-insurance", "employee-list")
    flow.complete("psb-seal", seal_filing_number="1")
    (notice,) = of(
        SupplementNoticeIssued, flow.complete("hpf-provident-fund", provident_fund_account="1")
    )
    assert notice.notice_id == "S1"
    assert {r.department for r in notice.requests} == {"tax", "hrss"}

    wrong = SupplementSubmitted(notice_id="S9", materials=("employee-list",))
    assert flow.receive(wrong) == []
    resumed = of(
        SubtaskDispatched,
        flow.receive(SupplementSubmitted(notice_id="S1", materials=("employee-list",))),
    )
    assert {d.subtask for d in resumed} == {"tax-invoice", "hrss-social-insurance"}
    assert all(d.filing_key.endswith(":2") for d in resumed)
    hrss = next(d for d in resumed if d.department == "hrss")
    assert "employee-list" in hrss.materials
    assert flow.receive(SupplementSubmitted(notice_id="S1")) == []  # answered already


def test_a_withdrawal_cancels_in_flight_subtasks_then_decides_withdrawn() -> None:
    flow = Flow()
    decided = flow.receive(ApplicationWithdrawn(reason="不再需要"))
    (cancel,) = of(SubtaskCancelled, decided)
    assert cancel.subtask == "amr-licence"
    (outcome,) = of(
        OutcomeDecided,
        flow.receive(
            FilingCancelled(
                subtask="amr-licence", department="amr", filing_key=cancel.filing_key,
                confirmed=True,
            )
        ),
    )  # fmt: skip
    assert outcome.decision == "withdrawn"
    assert flow.receive(ApplicationWithdrawn(reason="again")) == []


@pytest.mark.parametrize("matter", sorted(CATALOG.matters))
def test_every_matter_reaches_an_approved_outcome_stage_by_stage(matter: str) -> None:
    flow = Flow(matter)
    outputs_of = {s.code: {o: f"{s.code}-{o}" for o in s.outputs} for s in flow.matter.subtasks}
    pending = of(SubtaskDispatched, flow.decided)
    outcomes: list[OutcomeDecided] = []
    while pending:
        dispatched = pending.pop(0)
        decided = flow.complete(dispatched.subtask, **outputs_of[dispatched.subtask])
        pending += of(SubtaskDispatched, decided)
        outcomes += of(OutcomeDecided, decided)
    assert [o.decision for o in outcomes] == ["approved"]
    assert set(outcomes[0].outputs) == {s.code for s in flow.matter.subtasks}


def test_a_withdrawal_compensates_the_two_departments_still_working_and_ends_once() -> None:
    flow = Flow()
    flow.complete("amr-licence", **LICENCE)
    flow.complete("psb-seal", seal_filing_number="1")
    flow.complete("tax-invoice", tax_registration_number=LICENCE["credit_code"], invoice_quota="1")
    hrss, hpf = flow.key("hrss-social-insurance"), flow.key("hpf-provident-fund")
    decided = flow.receive(ApplicationWithdrawn(reason="不再需要"))
    cancels = of(SubtaskCancelled, decided)
    assert {(c.department, c.filing_key) for c in cancels} == {("hrss", hrss), ("hpf", hpf)}
    assert {c.reason for c in cancels} == {"申请人撤回申请"}
    assert of(OutcomeDecided, decided) == []  # not before both departments have answered
    late = SubtaskCompleted(
        subtask="hrss-social-insurance", department="hrss", filing_key=hrss,
        outputs={"social_insurance_number": "1"},
    )  # fmt: skip
    assert ignored(flow.receive(late)) == ["cancelling"]  # done too late: compensation is on
    confirmed = FilingCancelled(
        subtask="hrss-social-insurance", department="hrss", filing_key=hrss, confirmed=True
    )
    assert of(OutcomeDecided, flow.receive(confirmed)) == []
    unconfirmed = FilingCancelled(
        subtask="hpf-provident-fund", department="hpf", filing_key=hpf, confirmed=False
    )
    (outcome,) = of(OutcomeDecided, flow.receive(unconfirmed))
    assert outcome.decision == "withdrawn"
    assert set(outcome.outputs) == {"amr-licence", "psb-seal", "tax-invoice"}
    assert ignored(flow.receive(confirmed)) == ignored(flow.receive(unconfirmed)) == ["decided"]
    assert flow.receive(ApplicationWithdrawn(reason="again")) == []
