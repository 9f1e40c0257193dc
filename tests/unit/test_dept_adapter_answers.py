"""dept_adapter: legacy answers → outcomes, per protocol (JSON styles and SOAP), the SOAP
requests it builds, and the filing state folded from its stream."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from uuid6 import uuid7

from contracts.envelope import Envelope, Event
from contracts.events import FilingCancelled, MissingMaterial, SubtaskAccepted, SubtaskCompleted
from services.dept_adapter.domain import answers, soap
from services.dept_adapter.domain.events import CancellationRequested, FilingRequested
from services.dept_adapter.domain.filing import Work, answering, next_work, replay
from services.dept_adapter.domain.outcomes import (
    Accepted,
    Cancelled,
    Completed,
    Processing,
    Rejected,
    Retryable,
    Supplement,
    Terminal,
    result_event,
)
from services.dept_adapter.domain.signature import signed, verify

AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # the adapter's clock when it records


def body(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def test_rest_decisions_map_to_outcomes() -> None:
    completed = answers.submitted(
        200, body({"status": "completed", "receipt": "AMR-1", "outputs": {"credit_code": "91"}})
    )
    assert completed == Completed("AMR-1", {"credit_code": "91"})
    rejected = answers.submitted(
        200, body({"status": "rejected", "receipt": "AMR-2", "reason": "不予办理"})
    )
    assert rejected == Rejected("AMR-2", "不予办理")
    materials = [{"code": "articles", "name": "公司章程", "reason": "未收到该材料"}]
    supplement = answers.submitted(
        200, body({"status": "supplement", "receipt": "AMR-3", "materials": materials})
    )
    assert supplement == Supplement("AMR-3", (MissingMaterial(**materials[0]),))


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (500, None, Retryable("HTTP 500: injected failure 1 of the first 2")),
        (503, "1", Retryable("HTTP 503: injected failure 1 of the first 2", 1.0)),
        (400, None, Terminal("HTTP 400: injected failure 1 of the first 2")),
        (404, None, Terminal("HTTP 404: injected failure 1 of the first 2")),
    ],
)
def test_json_failures_are_told_apart(
    status: int, retry_after: str | None, expected: object
) -> None:
    error = body({"error": "injected failure 1 of the first 2"})
    assert answers.submitted(status, error, retry_after) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"<html>",
        body([1, 2]),
        body({"status": "completed"}),
        body({"status": "maybe", "receipt": "X"}),
        body({"status": "supplement", "receipt": "X", "materials": []}),
        body({"status": "supplement", "receipt": "X", "materials": [{"code": "a"}]}),
        body({"status": "rejected", "receipt": "X"}),
    ],
)
def test_unparseable_2xx_answers_are_terminal(raw: bytes) -> None:
    assert isinstance(answers.submitted(200, raw), Terminal)


def test_poll_style_ticket_states_and_cancel() -> None:
    assert answers.accepted(202, body({"ticket": "HRSS-T-1"})) == Accepted("HRSS-T-1")
    assert answers.accepted(202, body({"receipt": "NRB-1"})) == Accepted("NRB-1")
    assert answers.polled(200, body({"state": "processing", "ticket": "T"}), "1") == Processing()
    done = {"state": "completed", "ticket": "T", "status": "completed", "receipt": "HRSS-9"}
    assert answers.polled(200, body({**done, "outputs": {"n": "1"}})) == Completed(
        "HRSS-9", {"n": "1"}
    )
    assert isinstance(answers.polled(200, body({"state": "cancelled", "ticket": "T"})), Terminal)
    assert isinstance(answers.polled(404, body({"error": "unknown"})), Terminal)
    assert answers.cancelled(200, body({"status": "cancelled", "receipt": "R"})) == Cancelled("R")
    assert isinstance(answers.cancelled(503, body({"error": "x"}), "1"), Retryable)


def _soap(inner: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:tax="urn:onewindow:tax"><soap:Body>{inner}</soap:Body></soap:Envelope>'
    ).encode()


def test_soap_submit_request_is_a_real_envelope_with_text_fields() -> None:
    raw = soap.submit_request(
        "app:tax-invoice:1", "app", "tax-invoice",
        {"credit_code": "91", "price": 100, "family": True, "nested": {"a": [1]}, "none": None},
        ["business-licence"],
    )  # fmt: skip
    root = ET.fromstring(raw)
    ns = {"soap": soap.SOAP_NS, "tax": soap.TAX_NS}
    operation = root.find("soap:Body/tax:SubmitFiling", ns)
    assert operation is not None
    assert operation.findtext("tax:IdempotencyKey", namespaces=ns) == "app:tax-invoice:1"
    fields = {f.get("name"): f.text for f in operation.findall("tax:Inputs/tax:Field", ns)}
    assert fields == {
        "credit_code": "91", "price": "100", "family": "true", "nested": '{"a": [1]}', "none": None,
    }  # fmt: skip
    assert [c.text for c in operation.findall("tax:Materials/tax:Code", ns)] == ["business-licence"]
    cancel = ET.fromstring(soap.cancel_request("TAX-1"))
    assert cancel.findtext("soap:Body/tax:CancelFiling/tax:Receipt", namespaces=ns) == "TAX-1"


def test_soap_answers_map_to_outcomes() -> None:
    completed = _soap(
        "<tax:SubmitFilingResponse><tax:Status>completed</tax:Status><tax:Receipt>TAX-1</tax:Receipt>"
        '<tax:Outputs><tax:Field name="invoice_quota">1000000.00</tax:Field></tax:Outputs>'
        "</tax:SubmitFilingResponse>"
    )
    assert soap.answer(200, completed) == Completed("TAX-1", {"invoice_quota": "1000000.00"})
    rejected = _soap(
        "<tax:SubmitFilingResponse><tax:Status>rejected</tax:Status><tax:Receipt>TAX-2</tax:Receipt>"
        "<tax:Reason>税务局不予办理</tax:Reason></tax:SubmitFilingResponse>"
    )
    assert soap.answer(200, rejected) == Rejected("TAX-2", "税务局不予办理")
    supplement = _soap(
        "<tax:SubmitFilingResponse><tax:Status>supplement</tax:Status><tax:Receipt>TAX-3</tax:Receipt>"
        "<tax:Materials><tax:Material><tax:Code>marriage</tax:Code><tax:Name>marriage</tax:Name>"
        "<tax:Reason>需要补正</tax:Reason></tax:Material></tax:Materials></tax:SubmitFilingResponse>"
    )
    assert soap.answer(200, supplement) == Supplement(
        "TAX-3", (MissingMaterial(code="marriage", name="marriage", reason="需要补正"),)
    )
    cancelled = _soap(
        "<tax:CancelFilingResponse><tax:Status>cancelled</tax:Status><tax:Receipt>TAX-1</tax:Receipt>"
        "</tax:CancelFilingResponse>"
    )
    assert soap.answer(200, cancelled) == Cancelled("TAX-1")


def _fault(code: str, tax_code: str) -> bytes:
    return _soap(
        f"<soap:Fault><faultcode>{code}</faultcode><faultstring>why</faultstring><detail>"
        f"<tax:FaultDetail><tax:Code>{tax_code}</tax:Code></tax:FaultDetail></detail></soap:Fault>"
    )


def test_soap_faults_server_retryable_client_terminal_garbage_terminal() -> None:
    assert soap.answer(500, _fault("soap:Server", "INJECTED_ERROR")) == Retryable(
        "soap:Server INJECTED_ERROR: why"
    )
    client = soap.answer(500, _fault("soap:Client", "UNKNOWN_RECEIPT"))
    assert client == Terminal("soap:Client UNKNOWN_RECEIPT: why")
    assert isinstance(soap.answer(200, b"not xml"), Terminal)
    assert isinstance(soap.answer(502, b"<html>bad gateway</html>"), Retryable)
    assert isinstance(soap.answer(200, b'<!DOCTYPE x [<!ENTITY a "b">]><x/>'), Terminal)
    wrong = _soap(
        "<tax:SubmitFilingResponse><tax:Status>completed</tax:Status></tax:SubmitFilingResponse>"
    )
    assert isinstance(soap.answer(200, wrong), Terminal)


def test_callback_signature_is_hmac_sha256_of_the_exact_body() -> None:
    raw = b'{"status":"completed","receipt":"NRB-1"}'
    signature = signed(b"secret", raw)
    assert signature.startswith("sha256=") and verify(b"secret", raw, signature)
    assert not verify(b"secret", raw + b" ", signature)
    assert not verify(b"other", raw, signature)


def _envelope(event: Event, app_id: object, cause: Envelope | None = None) -> Envelope:
    return Envelope.new(event, application_id=app_id, producer="test", causation=cause)  # type: ignore[arg-type]


def test_filing_fold_and_next_work() -> None:
    app = uuid7()
    key = f"{app}:hrss-social-insurance:1"
    request = FilingRequested(
        subtask="hrss-social-insurance", department="hrss", title="参保登记",
        filing_key=key, inputs={}, time_limit_days=1,
    )  # fmt: skip
    dispatch = _envelope(
        FilingCancelled(subtask="s", department="hrss", filing_key=key, confirmed=True), app
    )
    requested = _envelope(request, app, dispatch)
    filing = replay([requested])
    assert filing is not None and next_work(filing, "poll") is Work.SUBMIT
    event = result_event(Accepted("HRSS-T-1"), request)
    assert event is not None
    accepted = answering(event, requested, "test", AT)
    assert accepted.occurred_at == AT
    assert accepted.causation_id == dispatch.event_id
    assert accepted.correlation_id == dispatch.correlation_id
    filing = replay([requested, accepted])
    assert filing is not None and filing.receipt == "HRSS-T-1" and filing.version == 2
    assert next_work(filing, "poll") is Work.POLL
    assert next_work(filing, "callback") is Work.AWAIT_CALLBACK
    done = _envelope(
        SubtaskCompleted(subtask="s", department="hrss", filing_key=key, legacy_receipt="HRSS-9"),
        app,
    )
    filing = replay([requested, accepted, done])
    assert (
        filing is not None and next_work(filing, "poll") is Work.NONE and filing.receipt == "HRSS-9"
    )
    cancel = _envelope(
        CancellationRequested(subtask="s", department="hrss", filing_key=key, reason="驳回"), app
    )
    filing = replay([requested, accepted, done, cancel])
    assert filing is not None and next_work(filing, "poll") is Work.CANCEL
    assert replay([cancel]) is None
    accepted_only = _envelope(
        SubtaskAccepted(subtask="s", department="hrss", filing_key=key, legacy_receipt="R"), app
    )
    assert replay([accepted_only]) is None
