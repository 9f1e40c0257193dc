"""intake's pure rules: callers, requests, catalog checks, status, periods, guides, timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from contracts.catalog import EXAMPLES_DIR, load_catalog
from contracts.commands import Applicant, SubmitApplication
from contracts.events import (
    MissingMaterial,
    NoticeDeliveryFailed,
    OutcomeDecided,
    SubtaskDispatched,
    SupplementRequested,
)
from services.intake.domain.callers import Caller
from services.intake.domain.checks import submission_errors, supplement_errors
from services.intake.domain.guide import guide_of
from services.intake.domain.periods import period_end, period_start
from services.intake.domain.progress import derive_status, pending_notice
from services.intake.domain.receipts import receipt_number
from services.intake.domain.timeline import NOTICE_FAILED, notice_detail, summary
from services.intake.entrypoints.errors import validation_response

CATALOG = load_catalog()


def _body(matter: str = "business-startup") -> dict[str, Any]:
    body = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text(encoding="utf-8"))
    return {**body, "delivery": {"channel": "sms", "address": "13857101234"}}


def _rules(error: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(map(str, e["loc"])), e["type"]) for e in error.errors()]


def test_a_clerk_files_through_the_window_and_sees_all() -> None:
    clerk, web = Caller("c", "clerk"), Caller("w", "web")
    assert (clerk.channel, web.channel) == ("window", "web")
    assert clerk.may_see("anyone") and web.may_see("w") and not web.may_see("c")


def test_every_example_is_a_valid_submission() -> None:
    for matter in CATALOG.matters:
        submission = SubmitApplication.model_validate(_body(matter))
        assert submission_errors(CATALOG.matter(matter), submission.form, []) == []


@pytest.mark.parametrize(
    ("applicant", "expected"),
    [
        ({"id_number": "330106199003071235"}, [("id_number", "cn-resident-id")]),
        ({"id_number": "33010619900307123"}, [("id_number", "cn-resident-id")]),
        ({"mobile": "23857101234"}, [("mobile", "cn-mobile")]),
        ({"kind": "company", "id_number": "330106199003071236"}, [("id_number", "cn-credit-code")]),
        ({"kind": "alien"}, [("kind", "literal_error")]),
        ({"age": 3}, [("age", "extra_forbidden")]),
    ],
)
def test_applicant_identifiers_are_checked(
    applicant: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    base = {"kind": "person", "name": "陈思远", "id_number": "330106199003071236"}
    with pytest.raises(ValidationError) as refused:
        Applicant.model_validate(base | applicant)
    assert _rules(refused.value) == expected


def test_delivery_addresses_are_checked_per_channel() -> None:
    for channel, good, bad, rule in (
        ("webhook", "https://gov.example.cn/hook", "javascript:alert(1)", "url"),
        ("email", "chen@example.cn", "chen@", "email"),
        ("sms", "13857101234", "010-1234567", "cn-mobile"),
    ):
        body = _body() | {"delivery": {"channel": channel, "address": good}}
        assert SubmitApplication.model_validate(body).delivery.address == good
        with pytest.raises(ValidationError) as refused:
            SubmitApplication.model_validate(
                body | {"delivery": {"channel": channel, "address": bad}}
            )
        assert _rules(refused.value) == [("delivery.address", rule)]


def test_materials_are_the_matters_and_brought_by_the_applicant() -> None:
    matter = CATALOG.matter("business-startup")
    form = _body()["form"]
    found = submission_errors(matter, form, ["premises-proof", "premises-proof", "articles", "x"])
    assert [(e.field, e.rule) for e in found] == [
        ("materials.1", "duplicate"),
        ("materials.2", "not_applicant_material"),
        ("materials.3", "unknown_material"),
    ]
    # a department may ask for a material data sharing could not fetch
    assert supplement_errors(matter, None, ["id-legal-person"]) == []
    broken = dict(form, company=dict(form["company"], employees="many"))
    assert [(e.field, e.rule) for e in supplement_errors(matter, broken, [])] == [
        ("form.company.employees", "type")
    ]


@pytest.mark.parametrize(
    ("facts", "status"),
    [
        ({}, "submitted"),
        ({"dispatched": True}, "in_progress"),
        ({"dispatched": True, "notice_pending": True}, "supplement_requested"),
        ({"dispatched": True, "notice_pending": True, "withdrawn": True}, "withdrawn"),
        ({"decision": "approved", "withdrawn": True}, "approved"),
        ({"decision": "rejected"}, "rejected"),
        ({"decision": "withdrawn"}, "withdrawn"),
    ],
)
def test_status_follows_from_the_facts(facts: dict[str, Any], status: str) -> None:
    given = {"decision": None, "withdrawn": False, "notice_pending": False, "dispatched": False}
    assert derive_status(**(given | facts)) == status


def test_a_notice_is_pending_until_answered_or_closed() -> None:
    assert pending_notice("S2", ["S1"], closed=False) == "S2"
    assert pending_notice("S2", ["S1", "S2"], closed=False) is None
    assert pending_notice("S2", [], closed=True) is None
    assert pending_notice(None, [], closed=False) is None


def test_periods_take_dates_as_whole_days_and_date_times_with_their_offset() -> None:
    assert period_start("2025-03-01") == datetime(2025, 3, 1, tzinfo=UTC)
    assert period_end("2025-03-01") == (datetime(2025, 3, 2, tzinfo=UTC), False)
    assert period_start("2025-03-01T08:30:00Z") == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    assert period_start("2025-03-01t08:30:00.1234567z") == datetime(
        2025, 3, 1, 8, 30, 0, 123456, tzinfo=UTC
    )
    assert period_end("2025-03-01T08:30:00+08:00") == (
        datetime(2025, 3, 1, 0, 30, tzinfo=UTC),
        True,
    )
    for bad in ("yesterday", "2025-13-01", "2025-02-30T00:00:00Z", "2025-03-01T08:30:00",
                "2025-03-01 08:30:00Z", "2016-12-31T23:59:60Z", "20250301"):  # fmt: skip
        with pytest.raises(ValueError, match="not a date"):
            period_start(bad)


def test_periods_at_the_edges_of_time_are_bounds_or_none() -> None:
    """The first and last days a date can name are meaningful bounds, not overflows."""
    assert period_start("0001-01-01") == datetime(1, 1, 1, tzinfo=UTC)
    assert period_start("0001-01-01T00:00:00+08:00") == datetime.min.replace(tzinfo=UTC)
    assert period_end("9999-12-31") == (None, False)
    assert period_end("9999-12-31T23:59:59-05:00") == (None, True)
    assert period_start("9999-12-31T23:59:59-05:00") == datetime.max.replace(tzinfo=UTC)


def test_the_guide_shows_departments_materials_and_limits() -> None:
    guide = guide_of(CATALOG.matter("housing-transfer"))
    assert [d.department for d in guide.department_tasks][:3] == ["hcd", "tax", "nrb"]
    assert guide.department_tasks[0].name.startswith("住房和城乡建设局")
    spared = {m.code for m in guide.materials if m.spared}
    assert set(guide.materials_spared) == spared and spared
    assert all(m.source != "applicant" for m in guide.materials if m.spared)
    assert guide.form_schema == dict(CATALOG.matter("housing-transfer").form)


def test_timeline_summaries_are_bilingual_and_name_the_facts() -> None:
    dispatched = SubtaskDispatched(
        subtask="amr-licence", department="amr", title="企业设立登记", filing_key="k",
        inputs={}, time_limit_days=1,
    )  # fmt: skip
    asked = SupplementRequested(
        subtask="hrss-x",
        department="hrss",
        filing_key="k",
        materials=(MissingMaterial(code="employee-list", name="参保职工花名册", reason="缺"),),
    )
    failed = NoticeDeliveryFailed(
        notice="result", notice_key="o", channel="sms", recipient="138****1234", attempts=5,
        error="gateway down",
    )  # fmt: skip
    assert summary(dispatched) == "已推送amr：企业设立登记 / amr-licence sent to amr"
    assert "参保职工花名册" in summary(asked) and "supplement" in summary(asked)
    assert "gateway down" not in summary(failed) and "failed by sms" in summary(failed)
    assert notice_detail(failed) == NOTICE_FAILED  # the cause stays with the operators
    decided = OutcomeDecided.model_construct(decision="rejected")
    assert summary(decided) == "办结：不予办理 / decided: rejected"


def test_receipt_numbers_carry_the_date_and_the_random_tail() -> None:
    application_id = UUID("0193a1c2-7c1e-7d2a-9f1e-3b2a1c0d9e8f")
    assert receipt_number(application_id, datetime(2025, 1, 31, tzinfo=UTC)) == "YC202501311C0D9E8F"


def test_request_errors_map_to_400_404_and_422() -> None:
    def status(*errors: dict[str, Any]) -> tuple[int, str]:
        answer = validation_response(RequestValidationError(list(errors)))
        return answer.status_code, json.loads(answer.body)["code"]

    body_error = {"loc": ("body", "applicant", "name"), "msg": "too short", "type": "too_short"}
    header_error = {"loc": ("header", "Idempotency-Key"), "msg": "missing", "type": "missing"}
    assert status(body_error) == (422, "validation_failed")
    assert status(body_error, header_error) == (400, "bad_request")
    assert status({"loc": ("body", 3), "msg": "x", "type": "json_invalid"}) == (
        400,
        "malformed_json",
    )
    assert status({"loc": ("path", "application_id"), "msg": "x", "type": "uuid_parsing"}) == (
        404,
        "not_found",
    )
    answer = validation_response(RequestValidationError([body_error]))
    assert json.loads(answer.body)["details"]["errors"] == [
        {"field": "applicant.name", "rule": "too_short", "message": "too short"}
    ]
