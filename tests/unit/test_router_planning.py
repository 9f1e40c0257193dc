"""The router's decisions, on the real catalog, without I/O: a test drives one application
through `record`/`advance`/`mutate` exactly as the handler does."""

from __future__ import annotations

import pytest

from contracts.events import (
    ApplicationWithdrawn,
    FilingCancelled,
    OutcomeDecided,
    ResultIgnored,
    SubtaskCancelled,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskRejected,
    SupplementNoticeIssued,
    SupplementSubmitted,
)
from tests.router_flow import CATALOG, LICENCE, Flow, ignored, of


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
            subtask="tax-invoice",
            department="tax",
            filing_key=flow.key("tax-invoice"),
            reason="税务不予办理",
        )
    )
    cancelled = of(SubtaskCancelled, decided)
    assert {c.subtask for c in cancelled} == {"hrss-social-insurance", "hpf-provident-fund"}
    assert of(OutcomeDecided, decided) == []  # not before every department has answered
    flow.receive(
        SubtaskRejected(
            subtask="hrss-social-insurance",
            department="hrss",
            filing_key=flow.key("hrss-social-insurance"),
            reason="人社不予办理",
        )
    )
    (outcome,) = of(
        OutcomeDecided,
        flow.receive(
            FilingCancelled(
                subtask="hpf-provident-fund",
                department="hpf",
                filing_key=flow.key("hpf-provident-fund"),
                confirmed=True,
            )
        ),
    )
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
                subtask="amr-licence",
                department="amr",
                filing_key=cancel.filing_key,
                confirmed=True,
            )
        ),
    )
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
        subtask="hrss-social-insurance",
        department="hrss",
        filing_key=hrss,
        outputs={"social_insurance_number": "1"},
    )
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
