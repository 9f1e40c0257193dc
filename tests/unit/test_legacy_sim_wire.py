"""legacy_sim's SOAP messages and settings layering (no server)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from services.legacy_sim.config import (
    LegacySimSettings,
    resolve_behaviours,
    resolve_register_behaviours,
)
from services.legacy_sim.domain.register_records import DATASETS
from services.legacy_sim.protocols import soap_xml
from services.legacy_sim.protocols.soap_xml import CancelFiling, SoapClientError, SubmitFiling

NS = {"soap": soap_xml.SOAP_NS, "tax": soap_xml.TAX_NS}

SUBMIT = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:tax="urn:onewindow:tax">
  <soap:Body>
    <tax:SubmitFiling>
      <tax:IdempotencyKey>app-1:tax-invoicing</tax:IdempotencyKey>
      <tax:ApplicationId>app-1</tax:ApplicationId>
      <tax:Subtask>tax-invoicing</tax:Subtask>
      <tax:Inputs>
        <tax:Field name="credit_code">91350100M000100Y43</tax:Field>
        <tax:Field name="company_name">杭州示例科技有限公司</tax:Field>
      </tax:Inputs>
      <tax:Materials><tax:Code>articles-of-association</tax:Code></tax:Materials>
    </tax:SubmitFiling>
  </soap:Body>
</soap:Envelope>"""


def test_parses_submit_filing() -> None:
    message = soap_xml.parse_request(SUBMIT.encode(), '"urn:onewindow:tax#SubmitFiling"')
    assert message == SubmitFiling(
        idempotency_key="app-1:tax-invoicing",
        application_id="app-1",
        subtask="tax-invoicing",
        inputs={"credit_code": "91350100M000100Y43", "company_name": "杭州示例科技有限公司"},
        materials=("articles-of-association",),
    )


def test_parses_cancel_filing_with_unqualified_children() -> None:
    body = (
        f'<s:Envelope xmlns:s="{soap_xml.SOAP_NS}"><s:Body>'
        f'<CancelFiling xmlns="urn:onewindow:tax"><Receipt>TAX-1</Receipt></CancelFiling>'
        "</s:Body></s:Envelope>"
    )
    assert soap_xml.parse_request(body.encode(), None) == CancelFiling("TAX-1")


@pytest.mark.parametrize(
    ("body", "action", "code"),
    [
        (b"<not-xml", None, "MALFORMED_REQUEST"),
        (b"<a/>", None, "MALFORMED_REQUEST"),
        (SUBMIT.replace("SubmitFiling>", "Frobnicate>").encode(), None, "UNKNOWN_OPERATION"),
        (SUBMIT.encode(), "urn:onewindow:tax#CancelFiling", "SOAP_ACTION_MISMATCH"),
        (SUBMIT.replace("app-1:tax-invoicing<", "<").encode(), None, "MISSING_ELEMENT"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', None, "MALFORMED_REQUEST"),
    ],
)
def test_refuses_bad_requests(body: bytes, action: str | None, code: str) -> None:
    with pytest.raises(SoapClientError) as caught:
        soap_xml.parse_request(body, action)
    assert caught.value.code == code


def test_builds_a_response_with_outputs() -> None:
    xml = soap_xml.submit_response("completed", "TAX-1", outputs={"invoice_quota": "10000.00"})
    root = ET.fromstring(xml)
    response = root.find("soap:Body/tax:SubmitFilingResponse", NS)
    assert response is not None
    assert response.findtext("tax:Status", namespaces=NS) == "completed"
    assert response.findtext("tax:Receipt", namespaces=NS) == "TAX-1"
    field = response.find("tax:Outputs/tax:Field", NS)
    assert field is not None and field.get("name") == "invoice_quota" and field.text == "10000.00"


def test_builds_faults() -> None:
    root = ET.fromstring(soap_xml.fault("Client", "bad", "MALFORMED_REQUEST"))
    fault = root.find("soap:Body/soap:Fault", NS)
    assert fault is not None
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext("detail/tax:FaultDetail/tax:Retryable", namespaces=NS) == "false"


def test_behaviours_layer_builtin_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "sim.json"
    file.write_text(
        json.dumps(
            {
                "all_departments": {"latency_ms": 5, "error_rate": 0.1},
                "departments": {"tax": {"error_rate": 0.3}},
            }
        )
    )
    monkeypatch.setenv("ONEWINDOW_LEGACY_SIM_CONFIG_FILE", str(file))
    monkeypatch.setenv("ONEWINDOW_LEGACY_SIM_DEPARTMENTS__AMR__FAIL_FIRST", "2")
    monkeypatch.setenv("ONEWINDOW_LEGACY_SIM_PORT", "8191")
    settings = LegacySimSettings()
    behaviours = resolve_behaviours(settings)
    assert settings.port == 8191
    assert behaviours["amr"].fail_first == 2
    assert behaviours["amr"].materials_for("amr-licence") == {"articles": "公司章程"}
    assert behaviours["amr"].materials_for("amr-change") == {}
    assert behaviours["amr"].latency_ms == 5 and behaviours["amr"].error_rate == 0.1
    assert behaviours["tax"].error_rate == 0.3
    assert behaviours["psb"].error_rate == behaviours["sms"].error_rate == 0.1


def test_unknown_department_or_field_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="unknown departments"):
        resolve_behaviours(LegacySimSettings(departments={"xyz": {}}))
    with pytest.raises(ValueError):
        resolve_behaviours(LegacySimSettings(all_departments={"latency": 1}))


def test_the_registers_behaviours_are_layered_apart_from_the_departments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "legacy.json"
    file.write_text(
        json.dumps(
            {
                "all_departments": {"error_rate": 0.5},
                "all_datasets": {"latency_ms": 5, "error_rate": 0.1},
                "datasets": {"population": {"fail_first": 3}},
            }
        )
    )
    monkeypatch.setenv("ONEWINDOW_LEGACY_SIM_CONFIG_FILE", str(file))
    monkeypatch.setenv("ONEWINDOW_LEGACY_SIM_DATASETS", '{"tax-filings": {"error_rate": 0.3}}')
    registers = resolve_register_behaviours(LegacySimSettings(), DATASETS)
    assert set(registers) == set(DATASETS)
    assert registers["population"].fail_first == 3 and registers["population"].latency_ms == 5
    assert registers["tax-filings"].error_rate == 0.3
    assert registers["business-registry"].error_rate == 0.1
    with pytest.raises(ValueError, match="unknown datasets"):
        resolve_register_behaviours(
            LegacySimSettings(datasets={"real-estate-registry": {}}), DATASETS
        )
