"""The router's evidence (services/router/domain/evidence.py), on the real catalog, without
I/O: one lookup per round, one batch per register, only the fields used; the records checked
against the form; what cannot be fetched asked for in ONE notice; the library first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.catalog import EXAMPLES_DIR
from contracts.envelope import Envelope
from contracts.events import (
    EvidenceChecked,
    OutcomeDecided,
    RegisterLookupRequested,
    SubtaskDispatched,
    SupplementNoticeIssued,
    SupplementSubmitted,
)
from services.router.domain.events import LibraryCertificate
from services.router.domain.recording import record
from services.router.domain.results import NotAnAnswer
from tests.registers import agreeing
from tests.router_flow import Flow, of

LEGAL_PERSON, SHAREHOLDER = "330106199003071236", "330102199208152421"
TAX_OFFICER, COMPANY = "330127199502110668", "91330105MA27Y8UJ4D"


def example(matter: str) -> dict[str, Any]:
    form: dict[str, Any] = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text())["form"]
    return form


def test_one_batch_per_register_with_only_the_fields_some_mapping_or_check_uses() -> None:
    flow = Flow(answering=False)
    (asked,) = of(RegisterLookupRequested, flow.decided)
    assert of(SubtaskDispatched, flow.decided) == []  # nothing before the evidence is checked
    (population,) = asked.lookups
    assert population.dataset == "population"
    fields = {r.key: r.fields for r in population.records}
    # the legal person is also a shareholder: asked once, with what both materials use
    assert fields == {
        LEGAL_PERSON: ("birth_date", "name"), SHAREHOLDER: ("name",), TAX_OFFICER: ("name",),
    }  # fmt: skip
    assert set(population.materials) == {
        "id-legal-person", "id-shareholders", "id-tax-officer", "applicant",
    }  # fmt: skip
    assert population.purpose == "*intake"  # it serves several sub-tasks
    assert asked.lookup_key == f"{flow.application_id}:lookup:1"


def test_records_that_agree_dispatch_with_the_fetched_fields_mapped_in() -> None:
    flow = Flow()
    (checked,) = of(EvidenceChecked, flow.decided)
    assert {m.material: m.via for m in checked.materials} == {
        "id-legal-person": "register", "id-shareholders": "register", "id-tax-officer": "register",
    }  # fmt: skip
    assert (checked.supplements, checked.refusals) == ((), ())
    (dispatched,) = of(SubtaskDispatched, flow.decided)
    assert dispatched.inputs["legal_person_birth_date"] == f"birth_date of {LEGAL_PERSON}"


def test_a_name_that_differs_from_the_register_is_one_notice_naming_the_form_field() -> None:
    flow = Flow(changed={("population", TAX_OFFICER): {"name": "王莉"}})
    (checked,) = of(EvidenceChecked, flow.decided)
    (request,) = checked.supplements
    assert (request.subtask, request.department) == ("tax-invoice", "tax")
    (wrong,) = request.materials
    assert (wrong.code, wrong.name) == ("tax.tax_officer.name", "涉税事项·办税人员·姓名")
    assert "王莉" not in wrong.reason  # what the register holds is not told
    assert of(SubtaskDispatched, flow.decided) == []  # not even amr, whose data were right
    (notice,) = of(SupplementNoticeIssued, flow.decided)
    assert notice.requests == checked.supplements

    corrected = example("business-startup")
    corrected["tax"]["tax_officer"]["name"] = "王莉"
    answered = flow.receive(SupplementSubmitted(notice_id=notice.notice_id, form=corrected))
    assert of(RegisterLookupRequested, answered) == []  # same keys: the records are held
    (rechecked,) = of(EvidenceChecked, answered)
    assert rechecked.supplements == ()
    assert [d.subtask for d in of(SubtaskDispatched, answered)] == ["amr-licence"]


def test_a_key_the_register_does_not_hold_names_the_key_field() -> None:
    flow = Flow(changed={("population", SHAREHOLDER): None})
    (checked,) = of(EvidenceChecked, flow.decided)
    (request,) = checked.supplements
    assert [m.code for m in request.materials] == ["shareholders.1.id_number"]
    assert "查无此记录" in request.materials[0].reason


def test_a_new_key_in_the_answer_is_the_only_record_asked_for_again() -> None:
    flow = Flow(changed={("population", SHAREHOLDER): None})
    (notice,) = of(SupplementNoticeIssued, flow.decided)
    corrected = example("business-startup")
    corrected["shareholders"][1] |= {"id_number": "330108198906202821", "name": "吴佳怡"}
    flow.answering = False
    answered = flow.receive(SupplementSubmitted(notice_id=notice.notice_id, form=corrected))
    (asked,) = of(RegisterLookupRequested, answered)
    assert asked.lookup_key.endswith(":lookup:2")
    (population,) = asked.lookups
    assert [(r.key, r.fields) for r in population.records] == [("330108198906202821", ("name",))]
    assert population.purpose == "amr-licence" and population.materials == ("id-shareholders",)
    assert of(SubtaskDispatched, answered) == []
    flow.answer(asked)
    assert [d.subtask for d in of(SubtaskDispatched, flow.history)] == ["amr-licence"]


def test_a_register_that_could_not_be_read_asks_to_upload_and_the_upload_is_enough() -> None:
    flow = Flow("equity-transfer", unavailable=frozenset({"tax-filings"}))
    (checked,) = of(EvidenceChecked, flow.decided)
    (request,) = checked.supplements
    assert request.subtask == "tax-equity-report"
    (upload,) = request.materials
    assert (upload.code, upload.name) == ("financial-statements", "被投资企业资产负债表")
    assert "上传" in upload.reason
    via = {m.material: m.via for m in checked.materials}
    assert via["financial-statements"] == "applicant" and via["id-transferor"] == "register"
    (notice,) = of(SupplementNoticeIssued, flow.decided)

    answered = flow.receive(
        SupplementSubmitted(notice_id=notice.notice_id, materials=("financial-statements",))
    )
    assert of(RegisterLookupRequested, answered) == []  # brought: not fetched again
    (report,) = of(SubtaskDispatched, answered)
    assert report.subtask == "tax-equity-report"
    assert "total_assets" not in report.inputs  # an upload has no register fields
    assert "financial-statements" in report.materials


def test_the_applicants_own_name_is_checked_and_a_difference_refuses_the_application() -> None:
    flow = Flow("equity-transfer", answering=False)  # the applicant is in no form field
    (asked,) = of(RegisterLookupRequested, flow.decided)
    population = next(lookup for lookup in asked.lookups if lookup.dataset == "population")
    assert "applicant" in population.materials
    assert (LEGAL_PERSON, ("name",)) in [(r.key, r.fields) for r in population.records]

    wrong = Flow("equity-transfer", changed={("population", LEGAL_PERSON): {"name": "陈思源"}})
    (checked,) = of(EvidenceChecked, wrong.history)
    (refusal,) = checked.refusals
    assert refusal.subtask == "tax-equity-report" and "applicant.name" in refusal.reason
    (outcome,) = of(OutcomeDecided, wrong.history)
    assert outcome.decision == "rejected"
    assert of(SubtaskDispatched, wrong.history) == []


def test_a_deregistered_company_is_refused_before_any_department_sees_it() -> None:
    gone = {("business-registry", COMPANY): {"status": "deregistered"}}
    flow = Flow("business-info-change", changed=gone)
    (checked,) = of(EvidenceChecked, flow.decided)
    (refusal,) = checked.refusals
    assert (refusal.subtask, refusal.department) == ("amr-change", "amr")
    assert "deregistered" in refusal.reason and "active" in refusal.reason
    (outcome,) = of(OutcomeDecided, flow.decided)
    assert outcome.decision == "rejected" and outcome.reasons == checked.refusals
    assert of(SubtaskDispatched, flow.decided) == []


def licence(holder: str, number: str = "330105000123456") -> LibraryCertificate:
    return LibraryCertificate(
        kind="business-licence", holder=holder, number=number, department="amr",
        issued_at=datetime(2026, 3, 1, tzinfo=UTC), verification_hash="ab" * 32,
    )  # fmt: skip


def test_a_licence_in_the_library_is_taken_from_it_and_only_the_registration_is_asked() -> None:
    flow = Flow("business-info-change", library=(licence(COMPANY),))
    (asked,) = of(RegisterLookupRequested, flow.history)
    registry = next(lookup for lookup in asked.lookups if lookup.dataset == "business-registry")
    assert registry.materials == ("company-registration",)
    (checked,) = of(EvidenceChecked, flow.history)
    (taken,) = [m for m in checked.materials if m.material == "business-licence"]
    assert (taken.via, taken.certificate, taken.holder) == (
        "e-certificate", "330105000123456", COMPANY,
    )  # fmt: skip


def test_without_a_licence_in_the_library_it_is_fetched_from_its_register() -> None:
    flow = Flow("business-info-change")
    (checked,) = of(EvidenceChecked, flow.decided)
    (fetched,) = [m for m in checked.materials if m.material == "business-licence"]
    assert (fetched.via, fetched.dataset) == ("register", "business-registry")


def test_a_lookup_never_asked_for_is_no_answer_and_a_second_answer_changes_nothing() -> None:
    flow = Flow(answering=False)
    (asked,) = of(RegisterLookupRequested, flow.decided)
    answer = agreeing(flow.matter, example("business-startup"), asked)
    stray = answer.model_copy(update={"lookup_key": f"{flow.application_id}:lookup:7"})
    envelope = Envelope.new(stray, application_id=flow.application_id, producer="dept_adapter")
    with pytest.raises(NotAnAnswer, match="lookup:7"):
        record(flow.process, flow.matter, envelope)
    flow.receive(answer)
    again = Envelope.new(answer, application_id=flow.application_id, producer="dept_adapter")
    assert record(flow.process, flow.matter, again) is None  # answered already


def test_the_outcome_names_each_certificates_kind_and_holders() -> None:
    flow = Flow("housing-transfer")
    for stage in flow.matter.stages():
        for subtask in stage:
            flow.complete(subtask.code, **{o: f"{subtask.code}-{o}" for o in subtask.outputs})
    (outcome,) = of(OutcomeDecided, flow.history)
    deed = next(c for c in outcome.certificates if c.subtask == "nrb-transfer-registration")
    assert deed.kind == "real-estate-certificate" and not deed.replaces
    assert [(h.id, h.name) for h in deed.holders] == [
        ("330108198801014517", "周明"),
        ("330108198906202821", "吴佳怡"),
    ]


@pytest.mark.parametrize(
    "matter",
    ["business-startup", "business-info-change", "equity-transfer", "housing-transfer", "newborn"],
)
def test_every_matter_needs_one_lookup_when_its_registers_agree(matter: str) -> None:
    flow = Flow(matter)
    assert len(of(RegisterLookupRequested, flow.history)) == 1
    (checked,) = of(EvidenceChecked, flow.history)
    assert (checked.supplements, checked.refusals) == ((), ())
    assert of(SubtaskDispatched, flow.history)
