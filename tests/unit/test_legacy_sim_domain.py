"""legacy_sim's pure domain: decision rules, numbers, the filing ledger, fault dice."""

from __future__ import annotations

from datetime import date

import pytest

from services.legacy_sim.domain.decisions import (
    Completed,
    FilingRequest,
    Rejected,
    SupplementRequired,
)
from services.legacy_sim.domain.faults import choose_fault, latency_seconds, times_out
from services.legacy_sim.domain.ledger import Filing, FilingLedger, UnknownFiling
from services.legacy_sim.domain.numbers import (
    InvalidCode,
    credit_code,
    credit_code_check_char,
    is_valid_credit_code,
    org_code_check_char,
    seeded_random,
)
from services.legacy_sim.domain.rules import decide
from services.legacy_sim.domain.signature import sign, verify

AMR_REQUIRED = {"articles": "公司章程"}
TODAY = date(2026, 5, 6)


def request(dept: str = "amr", key: str = "k-1", **overrides: object) -> FilingRequest:
    fields: dict[str, object] = {
        "department": dept,
        "idempotency_key": key,
        "application_id": "app-1",
        "subtask": "amr-licence" if dept == "amr" else f"{dept}-filing",
        "inputs": {"company_name": "杭州示例科技有限公司"},
        "materials": ("articles",),
    }
    return FilingRequest(**{**fields, **overrides})  # type: ignore[arg-type]


# -- numbers ---------------------------------------------------------------------------------


def test_credit_code_check_char_matches_published_example() -> None:
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert is_valid_credit_code("91350100M000100Y43")
    assert not is_valid_credit_code("91350100M000100Y44")
    assert not is_valid_credit_code("91350100M000100Y4")
    assert not is_valid_credit_code("91350100M000100I43")  # I is not in the alphabet


def test_org_code_check_char_matches_published_example() -> None:
    assert org_code_check_char("M000100Y") == "4"


def test_check_char_refuses_a_bad_body() -> None:
    with pytest.raises(InvalidCode):
        credit_code_check_char("too short")


def test_generated_credit_codes_are_valid_and_deterministic() -> None:
    codes = {credit_code(seeded_random(f"key-{n}")) for n in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 18 and is_valid_credit_code(c) for c in codes)
    assert credit_code(seeded_random("same")) == credit_code(seeded_random("same"))


# -- decision rules --------------------------------------------------------------------------


def test_completes_with_a_valid_credit_code_and_licence() -> None:
    decision = decide(request(), AMR_REQUIRED, TODAY)
    assert isinstance(decision, Completed)
    assert is_valid_credit_code(decision.outputs["credit_code"])
    assert len(decision.outputs["licence_number"]) == 15


def test_same_key_same_numbers_other_key_other_numbers() -> None:
    assert decide(request(key="a"), AMR_REQUIRED, TODAY) == decide(
        request(key="a"), AMR_REQUIRED, TODAY
    )
    assert decide(request(key="a"), AMR_REQUIRED, TODAY) != decide(
        request(key="b"), AMR_REQUIRED, TODAY
    )


def test_rejects_when_an_input_carries_the_marker() -> None:
    decision = decide(request(inputs={"business_scope": "软件开发；测试驳回"}), AMR_REQUIRED, TODAY)
    assert isinstance(decision, Rejected)
    assert "市场监督管理局" in decision.reason
    assert "business_scope" in decision.reason


def test_rejection_wins_over_supplement() -> None:
    both = request(inputs={"a": "测试驳回", "b": "测试补正"}, materials=())
    decision = decide(both, AMR_REQUIRED, TODAY)
    assert isinstance(decision, Rejected)


def test_supplement_lists_every_missing_material_and_flagged_field_at_once() -> None:
    decision = decide(request(inputs={"address": "测试补正"}, materials=()), AMR_REQUIRED, TODAY)
    assert isinstance(decision, SupplementRequired)
    assert [m.code for m in decision.materials] == ["articles", "address"]
    assert decision.materials[0].name == "公司章程"
    assert "市场监督管理局" in decision.materials[0].reason


def test_marker_inside_nested_input_counts() -> None:
    decision = decide(request(inputs={"owners": [{"name": "测试驳回"}]}), AMR_REQUIRED, TODAY)
    assert isinstance(decision, Rejected)


@pytest.mark.parametrize(
    ("dept", "subtask", "names"),
    [
        ("amr", "amr-licence", {"credit_code", "licence_number", "company_name", "established_on"}),
        (
            "amr",
            "amr-change",
            {"credit_code", "licence_number", "change_record_number", "registered_changes"}
            | {"changed_on"},
        ),
        ("tax", "tax-invoice", {"tax_registration_number", "invoice_quota"}),
        ("tax", "tax-equity-report", {"report_number"}),
        ("tax", "tax-update", {"update_reference"}),
        (
            "tax",
            "tax-deed-tax",
            {"tax_receipt_number", "deed_tax", "income_tax", "taxable_amount", "tax_amount"},
        ),
        (
            "tax",
            "tax-individual-income-tax",
            {"tax_receipt_number", "taxable_income", "tax_rate", "tax_amount"},
        ),
        (
            "nrb",
            "nrb-transfer-registration",
            {"certificate_number", "real_estate_certificate_number", "registered_on"},
        ),
        ("hcd", "hcd-contract-filing", {"contract_filing_number", "filing_number", "filed_price"}),
        ("hhc", "hhc-birth-certificate", {"birth_certificate_number"}),
        ("hrss", "hrss-social-insurance", {"social_insurance_number"}),
        ("hrss", "hrss-social-card", {"social_card_number"}),
        ("hpf", "hpf-provident-fund", {"provident_fund_account"}),
        ("mia", "mia-medical-insurance", {"medical_insurance_number", "insurance_number"}),
        ("water", "water-transfer", {"account_number", "transfer_reference"}),
        ("power", "power-transfer", {"account_number", "transfer_reference"}),
        ("gas", "gas-transfer", {"account_number", "transfer_reference"}),
    ],
)
def test_each_department_issues_the_catalog_outputs(
    dept: str, subtask: str, names: set[str]
) -> None:
    decision = decide(request(dept, subtask=subtask), {}, TODAY)
    assert isinstance(decision, Completed)
    assert set(decision.outputs) == names
    assert all(isinstance(v, str) for v in decision.outputs.values())


def test_amr_licence_echoes_the_company_and_dates_it() -> None:
    decision = decide(request(), AMR_REQUIRED, TODAY)
    assert isinstance(decision, Completed)
    assert decision.outputs["company_name"] == "杭州示例科技有限公司"
    assert decision.outputs["established_on"] == "2026-05-06"


def test_nrb_certificate_number_format() -> None:
    decision = decide(request("nrb", inputs={}), {}, TODAY)
    assert isinstance(decision, Completed)
    number = decision.outputs["certificate_number"]
    assert number.startswith("浙(2026)杭州市不动产权第") and number.endswith("号")
    assert len(number.removeprefix("浙(2026)杭州市不动产权第").removesuffix("号")) == 7


def test_deed_tax_and_income_tax_on_the_price() -> None:
    inputs = {"taxable_price": "2000000", "transferee_family_home": False}
    decision = decide(request("tax", subtask="tax-deed-tax", inputs=inputs), {}, TODAY)
    assert isinstance(decision, Completed)
    assert decision.outputs["deed_tax"] == "60000.00"
    assert decision.outputs["income_tax"] == "20000.00"
    assert decision.outputs["tax_amount"] == "80000.00"
    relief = {
        **inputs,
        "transferee_family_home": "true",
        "transferor_only_home_over_five_years": True,
    }
    relieved = decide(request("tax", subtask="tax-deed-tax", inputs=relief), {}, TODAY)
    assert isinstance(relieved, Completed)
    assert (relieved.outputs["deed_tax"], relieved.outputs["income_tax"]) == ("20000.00", "0.00")


def test_equity_income_tax_is_twenty_percent_of_the_gain() -> None:
    inputs = {"price": "1500000", "original_cost": "1000000"}
    subtask = "tax-individual-income-tax"
    decision = decide(request("tax", subtask=subtask, inputs=inputs), {}, TODAY)
    assert isinstance(decision, Completed)
    assert decision.outputs["taxable_income"] == "500000.00"
    assert decision.outputs["tax_amount"] == "100000.00"


def test_tax_registration_reuses_a_valid_credit_code() -> None:
    inputs = {"credit_code": "91350100M000100Y43"}
    decision = decide(request("tax", subtask="tax-invoice", inputs=inputs), {}, TODAY)
    assert isinstance(decision, Completed)
    assert decision.outputs["tax_registration_number"] == "91350100M000100Y43"


# -- ledger ----------------------------------------------------------------------------------


def filing(key: str, receipt: str) -> Filing:
    return Filing("amr", key, receipt, "app", "amr-licence", Completed({}), ready_at=0.0)


def test_ledger_files_once_per_key_and_counts_requests() -> None:
    ledger = FilingLedger()
    made: list[str] = []

    def make() -> Filing:
        made.append("x")
        return filing("k", "AMR-1")

    for attempt in (1, 2, 3):
        assert ledger.receive("amr", "k") == attempt
        first, is_new = ledger.file("amr", "k", make)
        assert is_new == (attempt == 1)
        assert first.receipt == "AMR-1"
    assert made == ["x"]
    counts = ledger.counts()["amr"]["k"]
    assert (counts.requests, counts.filings, counts.cancellations) == (3, 1, 0)


def test_ledger_cancel_is_idempotent_and_counted_once() -> None:
    ledger = FilingLedger()
    ledger.file("amr", "k", lambda: filing("k", "AMR-1"))
    assert ledger.cancel("amr", "AMR-1").cancelled
    assert ledger.cancel("amr", "AMR-1").cancelled
    assert ledger.find_by_key("amr", "k") == ledger.find("amr", "AMR-1")
    assert ledger.counts()["amr"]["k"].cancellations == 1
    with pytest.raises(UnknownFiling):
        ledger.cancel("amr", "AMR-404")
    with pytest.raises(UnknownFiling):
        ledger.find("tax", "AMR-1")  # receipts are per department


def test_ledger_alias_finds_the_same_filing() -> None:
    ledger = FilingLedger()
    ledger.file("hrss", "k", lambda: filing("k", "HRSS-1"))
    ledger.alias("hrss", "HRSS-T-1", "k")
    assert ledger.find("hrss", "HRSS-T-1").receipt == "HRSS-1"


def test_ledger_counts_are_a_snapshot_and_clear_empties() -> None:
    ledger = FilingLedger()
    ledger.receive("amr", "k")
    snapshot = ledger.counts()
    ledger.receive("amr", "k")
    assert snapshot["amr"]["k"].requests == 1
    ledger.clear()
    assert ledger.counts() == {}


# -- faults and signature ------------------------------------------------------------------


def test_fail_first_then_error_rate() -> None:
    args = {"fail_first": 2, "error_rate": 0.0, "roll": 0.9, "status_roll": 0.9}
    assert choose_fault(attempt=1, **args) is not None  # type: ignore[arg-type]
    assert choose_fault(attempt=2, **args).status == 500  # type: ignore[arg-type, union-attr]
    assert choose_fault(attempt=3, **args) is None  # type: ignore[arg-type]
    rated = choose_fault(fail_first=0, error_rate=0.5, attempt=1, roll=0.1, status_roll=0.1)
    assert rated is not None and rated.status == 503
    assert choose_fault(fail_first=0, error_rate=0.5, attempt=1, roll=0.6, status_roll=0.1) is None


def test_latency_and_timeouts() -> None:
    assert latency_seconds(100, 20, 0.0) == pytest.approx(0.08)
    assert latency_seconds(100, 20, 1.0) == pytest.approx(0.12)
    assert latency_seconds(0, 50, 0.0) == 0.0
    assert times_out(0.3, 0.1) and not times_out(0.3, 0.5) and not times_out(0.0, 0.0)


def test_signature_round_trip() -> None:
    body = b'{"status":"completed"}'
    signature = sign(b"secret", body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify(b"secret", body, signature)
    assert not verify(b"other", body, signature)
