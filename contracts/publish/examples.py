"""One realistic payload of every published event and of every command: the examples of the
published contracts.

Built from the models, so an example that no longer fits its model fails at import. A new
published event or command needs one here (tests/unit/test_published_contracts.py says so).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from uuid import UUID

from contracts import commands as c
from contracts import events as e
from contracts.catalog import EXAMPLES_DIR
from contracts.envelope import Envelope, Event

APPLICATION_ID = UUID("0193a1c2-7c1e-7d2a-9f1e-3b2a1c0d9e8f")
EVENT_ID = UUID("0193a1c3-0f4e-7b21-8c55-4a4bb7e1f001")
CAUSATION_ID = UUID("0193a1c3-0e77-7c3a-9d10-55b0c2a4e002")
OCCURRED_AT = datetime(2026, 5, 6, 2, 15, 9, 120481, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

_AT = datetime(2026, 5, 6, 1, 30, tzinfo=UTC)
_DUE = datetime(2026, 5, 7, 9, 30, tzinfo=UTC)
_FILING = f"{APPLICATION_ID}:amr-licence:1"
_AMR = {"subtask": "amr-licence", "department": "amr", "filing_key": _FILING}
_DELIVERY = e.Delivery(channel="sms", address="13857101234")
_TO_APPLICANT = {
    "matter": "business-startup",
    "matter_name": "企业开办",
    "receipt_number": "ZJ-20260506-000042",
    "applicant_name": "陈思远",
    "delivery": _DELIVERY,
}
_LOOKUP = f"{APPLICATION_ID}:lookup:1"
_POPULATION = {
    "dataset": "population",
    "purpose": "*intake",
    "materials": ("id-legal-person", "id-tax-officer"),
    "subtasks": ("amr-licence", "psb-seal", "tax-invoice"),
}
_MISSING = e.MissingMaterial(
    code="articles-of-association", name="公司章程", reason="未由全体股东签字"
)
_CLOCK = {
    "clock": "subtask",
    "clock_id": "amr-licence",
    "limit": "own",
    "department": "amr",
    "limit_days": 1,
    "started_at": _AT,
    "due_at": _DUE,
}
_NOTICE = {
    "notice": "result",
    "notice_key": "outcome",
    "channel": "sms",
    "recipient": "138****1234",
    "attempts": 1,
}

_COMPLETED = e.SubtaskCompleted(
    **_AMR, legacy_receipt="AMR-2026-000731", outputs={"credit_code": "91330100MA2KXXXX0X"}
)
_ANSWER = Envelope(
    event_id=UUID("0193a1c3-0e9a-7f0c-a1b2-6c7d8e9f0a13"),
    event_type=_COMPLETED.event_type,
    schema_version=_COMPLETED.schema_version,
    occurred_at=datetime(2026, 5, 6, 2, 15, 8, 904112, tzinfo=UTC),
    application_id=APPLICATION_ID,
    correlation_id=APPLICATION_ID,
    causation_id=UUID("0193a1c2-f3d1-7e44-b0c9-7a8b9c0d1e24"),
    traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01",
    producer="dept_adapter",
    payload=_COMPLETED.model_dump(mode="json"),
)

_ALL: tuple[Event, ...] = (
    e.ApplicationSubmitted(
        matter="business-startup",
        channel="web",
        client="zwfw-web",
        receipt_number="ZJ-20260506-000042",
        applicant={"kind": "person", "name": "陈思远", "id_number": "330106199003071236"},
        form={"company": {"name": "杭州一窗科技有限公司", "registered_capital": 100}},
        materials=("id-legal-person", "articles-of-association"),
        delivery=_DELIVERY,
    ),
    e.SupplementSubmitted(
        notice_id="S1",
        materials=("articles-of-association",),
        form={"company": {"name": "杭州一窗科技有限公司", "registered_capital": 100}},
    ),
    e.ApplicationWithdrawn(reason="申请人撤回申请"),
    e.MaterialsHandedIn(materials=("lease-contract",), in_person=True),
    e.ResultCollected(method="pickup", in_person=True),
    e.ApplicationEvaluated(rating=5, comment="一次都没跑"),
    e.FollowUpOpened(case_id="F1", rating=2, comment="等待太久", time_limit_days=5),
    e.FollowUpClosed(case_id="F1", response="已电话回访并致歉", clerk="window-12"),
    e.SubtaskDispatched(
        **_AMR,
        title="企业设立登记并核发营业执照",
        inputs={"company_name": "杭州一窗科技有限公司", "registered_capital": 100},
        materials=("id-legal-person", "articles-of-association"),
        time_limit_days=1,
        due_at=_DUE,
    ),
    e.SubtaskCancelled(**_AMR, reason="税务局不予办理，其余事项撤回"),
    e.SubtaskAccepted(**_AMR, legacy_receipt="AMR-2026-000731"),
    _COMPLETED,
    e.SubtaskRejected(**_AMR, legacy_receipt="AMR-2026-000731", reason="名称与已登记企业重复"),
    e.SupplementRequested(**_AMR, legacy_receipt="AMR-2026-000731", materials=(_MISSING,)),
    e.SubtaskFailed(**_AMR, error="department system refuses the filing: unknown form version"),
    e.FilingCancelled(**_AMR, legacy_receipt="AMR-2026-000731", confirmed=True),
    e.SupplementNoticeIssued(
        **_TO_APPLICANT,
        notice_id="S1",
        requests=(
            e.SupplementRequest(subtask="amr-licence", department="amr", materials=(_MISSING,)),
        ),
        due_at=datetime(2026, 5, 13, 9, 30, tzinfo=UTC),
    ),
    e.ResultHeld(**_TO_APPLICANT, missing=("lease-contract",), promised_by=date(2026, 5, 20)),
    e.OutcomeDecided(
        **_TO_APPLICANT,
        decision="approved",
        outputs={"amr-licence": {"credit_code": "91330100MA2KXXXX0X"}},
        certificates=(
            e.Certificate(
                subtask="amr-licence",
                department="amr",
                title="营业执照",
                number="330100984437842",
                issued_at=_DUE,
                kind="business-licence",
                holders=(e.Holder(id="91330100MA2KXXXX0X", name="杭州一窗科技有限公司"),),
                replaces=True,
            ),
        ),
        started_at=_AT,
        promised_due_at=_DUE,
        working_days=0.5,
        on_time=True,
    ),
    e.ResultRecorded(result=_ANSWER),
    e.RegisterLookupRequested(
        lookup_key=_LOOKUP,
        matter="business-startup",
        lookups=(
            e.DatasetLookup(
                **_POPULATION,
                records=(
                    e.WantedRecord(key="330106199003071236", fields=("birth_date", "name")),
                    e.WantedRecord(key="330127199502110668", fields=("name",)),
                ),
            ),
        ),
    ),
    e.RegisterLookupAnswered(
        lookup_key=_LOOKUP,
        matter="business-startup",
        answers=(
            e.DatasetAnswer(
                **_POPULATION,
                available=True,
                attempts=1,
                records=(
                    e.FetchedRecord(
                        key="330106199003071236",
                        found=True,
                        record={"name": "陈思远", "birth_date": "1990-03-07"},
                        version="2026-04-30T08:00:00Z",
                        digest="sha256:" + "3b1f" * 16,
                    ),
                    e.FetchedRecord(key="330127199502110668", found=False),
                ),
            ),
        ),
    ),
    e.EvidenceChecked(
        materials=(
            e.MaterialObtained(
                material="id-legal-person",
                via="register",
                dataset="population",
                subtasks=("amr-licence", "psb-seal"),
            ),
            e.MaterialObtained(
                material="id-tax-officer", via="applicant", subtasks=("tax-invoice",)
            ),
        ),
        supplements=(
            e.SupplementRequest(
                subtask="tax-invoice",
                department="tax",
                materials=(
                    e.MissingMaterial(
                        code="tax.tax_officer.id_number",
                        name="涉税事项·办税人员·公民身份号码",
                        reason="人口基础信息库中查无此记录，请核对后更正",
                    ),
                ),
            ),
        ),
    ),
    e.TimeLimitWarned(**_CLOCK),
    e.TimeLimitExceeded(**_CLOCK),
    e.NoticeDelivered(
        **_NOTICE, receipt="SMS-7F3A", result_hash="9f2c" * 16, delivered_at=OCCURRED_AT
    ),
    e.NoticeDeliveryFailed(**_NOTICE, error="gateway answered 503 six times"),
)
EXAMPLES: dict[tuple[str, int], Event] = {(x.event_type, x.schema_version): x for x in _ALL}


def example_envelope(event: Event, producer: str) -> Envelope:
    """The example wrapped as `producer` would publish it, with fixed ids and time."""
    return Envelope(
        event_id=EVENT_ID,
        event_type=event.event_type,
        schema_version=event.schema_version,
        occurred_at=OCCURRED_AT,
        application_id=APPLICATION_ID,
        correlation_id=APPLICATION_ID,
        causation_id=CAUSATION_ID,
        traceparent=TRACEPARENT,
        producer=producer,
        payload=event.model_dump(mode="json"),
    )


_SUBMISSION = json.loads((EXAMPLES_DIR / "business-startup.json").read_text(encoding="utf-8")) | {
    "materials": ["premises-proof"],
    "deferred_materials": ["employee-list"],
    "materials_promised_by": "2026-05-13",
    "delivery": {"channel": "sms", "address": "13857101234"},
}
COMMAND_EXAMPLES: dict[type[c.Command], c.Command] = {
    type(x): x
    for x in (
        c.SubmitApplication.model_validate(_SUBMISSION),
        c.SubmitSupplement(notice_id="S1", materials=["premises-proof"]),
        c.WithdrawApplication(reason="不再需要办理"),
        c.HandInMaterials(materials=["employee-list"]),
        c.CollectResult(method="express"),
        c.EvaluateApplication(rating=2, comment="窗口等候时间较长"),
        c.CloseFollowUp(response="已电话回访，说明办理进度并致歉"),
    )
}
