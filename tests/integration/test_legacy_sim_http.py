"""legacy_sim over HTTP, in-process (ASGI): REST, SOAP, submit-then-poll, control API."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.legacy_sim.app import create_app
from services.legacy_sim.config import LegacySimSettings
from services.legacy_sim.domain.numbers import is_valid_credit_code

NS = {"soap": "http://schemas.xmlsoap.org/soap/envelope/", "tax": "urn:onewindow:tax"}
FILING = {
    "application_id": "app-1",
    "subtask": "amr-licence",
    "inputs": {"company_name": "杭州示例科技有限公司"},
    "materials": ["articles"],
}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = LegacySimSettings(
        all_departments={"latency_ms": 0, "jitter_ms": 0, "processing_delay_ms": 200}, seed=7
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        yield http


async def file(
    client: httpx.AsyncClient, key: str, body: dict[str, Any] = FILING, dept: str = "amr"
) -> httpx.Response:
    return await client.post(f"/{dept}/filings", json=body, headers={"Idempotency-Key": key})


async def counts(client: httpx.AsyncClient, dept: str, key: str) -> dict[str, int]:
    answer: dict[str, int] = (await client.get("/_control/filings")).json()[dept][key]
    return answer


async def test_rest_completes_and_the_same_key_files_once(client: httpx.AsyncClient) -> None:
    first = await file(client, "k-1")
    assert first.status_code == 200
    body = first.json()
    assert body["status"] == "completed"
    assert is_valid_credit_code(body["outputs"]["credit_code"])
    again = await file(client, "k-1")
    assert again.json() == body
    assert await counts(client, "amr", "k-1") == {"requests": 2, "filings": 1, "cancellations": 0}


async def test_concurrent_requests_with_one_key_file_once(client: httpx.AsyncClient) -> None:
    await client.post("/_control/amr", json={"latency_ms": 20, "jitter_ms": 10})
    answers = await asyncio.gather(*(file(client, "k-race") for _ in range(10)))
    assert len({a.text for a in answers}) == 1
    assert await counts(client, "amr", "k-race") == {
        "requests": 10,
        "filings": 1,
        "cancellations": 0,
    }


async def test_fail_first_twice_then_success_files_once(client: httpx.AsyncClient) -> None:
    configured = await client.post("/_control/amr", json={"fail_first": 2})
    assert configured.json()["fail_first"] == 2
    statuses = [(await file(client, "k-ff")).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert await counts(client, "amr", "k-ff") == {"requests": 3, "filings": 1, "cancellations": 0}


async def test_error_rate_one_answers_500_or_503_without_filing(client: httpx.AsyncClient) -> None:
    await client.post("/_control/hpf", json={"error_rate": 1.0})
    answer = await file(client, "k-err", {**FILING, "subtask": "hpf-provident-fund"}, dept="hpf")
    assert answer.status_code in (500, 503) and "error" in answer.json()
    assert (await counts(client, "hpf", "k-err"))["filings"] == 0


async def test_malformed_bodies_are_400(client: httpx.AsyncClient) -> None:
    no_key = await client.post("/amr/filings", json=FILING)
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["error"]
    not_json = await client.post(
        "/amr/filings", content=b"{", headers={"Idempotency-Key": "k", "Content-Type": "x"}
    )
    assert not_json.status_code == 400
    missing = await file(client, "k-bad", {"inputs": {}})
    assert missing.status_code == 400 and "application_id" in missing.json()["error"]


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff{}",  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # nested deeper than the parser goes
        b'{"application_id": "a", "subtask": "amr-licence", "inputs": {"name": "\\ud800"}}',
        b'{"application_id": "a", "subtask": "amr-licence", "inputs": {"name": "\xed\xa0\x80"}}',
    ],
)
@pytest.mark.parametrize("path", ["/amr/filings", "/hrss/applications", "/_control/amr"])
async def test_bodies_no_answer_could_carry_are_400(
    client: httpx.AsyncClient, path: str, raw: bytes
) -> None:
    answer = await client.post(path, content=raw, headers={"Idempotency-Key": "k-raw"})
    assert answer.status_code == 400 and "not JSON" in answer.json()["error"]


async def test_rejection_and_supplement_rules(client: httpx.AsyncClient) -> None:
    rejected = await file(client, "k-rej", {**FILING, "inputs": {"business_scope": "测试驳回"}})
    assert rejected.json()["status"] == "rejected"
    assert "business_scope" in rejected.json()["reason"]
    supplement = await file(client, "k-sup", {**FILING, "materials": []})
    assert supplement.json()["status"] == "supplement"
    assert supplement.json()["materials"][0]["code"] == "articles"


async def test_cancel_is_idempotent(client: httpx.AsyncClient) -> None:
    receipt = (await file(client, "k-c")).json()["receipt"]
    for _ in range(2):
        cancelled = await client.post(f"/amr/filings/{receipt}/cancel")
        assert cancelled.json() == {"status": "cancelled", "receipt": receipt}
    assert (await counts(client, "amr", "k-c"))["cancellations"] == 1
    assert (await client.post("/amr/filings/AMR-NOPE/cancel")).status_code == 404


def soap_submit(key: str, inputs: dict[str, str]) -> str:
    fields = "".join(f'<tax:Field name="{k}">{v}</tax:Field>' for k, v in inputs.items())
    return f"""<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="{NS["soap"]}" xmlns:tax="urn:onewindow:tax"><soap:Body>
<tax:SubmitFiling><tax:IdempotencyKey>{key}</tax:IdempotencyKey>
<tax:ApplicationId>app-1</tax:ApplicationId><tax:Subtask>tax-deed-tax</tax:Subtask>
<tax:Inputs>{fields}</tax:Inputs></tax:SubmitFiling></soap:Body></soap:Envelope>"""


async def soap(client: httpx.AsyncClient, body: str, action: str) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    return await client.post("/tax/soap", content=body.encode(), headers=headers)


async def test_soap_round_trip_and_cancel(client: httpx.AsyncClient) -> None:
    submit = NS["tax"] + "#SubmitFiling"
    answer = await soap(client, soap_submit("k-s", {"price": "1500000"}), submit)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    response = ET.fromstring(answer.content).find("soap:Body/tax:SubmitFilingResponse", NS)
    assert response is not None
    assert response.findtext("tax:Status", namespaces=NS) == "completed"
    outputs = {f.get("name"): f.text for f in response.iterfind("tax:Outputs/tax:Field", NS)}
    assert outputs["deed_tax"] == "45000.00"
    receipt = response.findtext("tax:Receipt", namespaces=NS)
    again = await soap(client, soap_submit("k-s", {"price": "1"}), submit)
    assert again.content == answer.content
    cancel = (
        f'<soap:Envelope xmlns:soap="{NS["soap"]}"><soap:Body><tax:CancelFiling xmlns:tax="'
        f'urn:onewindow:tax"><tax:Receipt>{receipt}</tax:Receipt></tax:CancelFiling>'
        "</soap:Body></soap:Envelope>"
    )
    cancelled = await soap(client, cancel, NS["tax"] + "#CancelFiling")
    assert b"<tax:Status>cancelled</tax:Status>" in cancelled.content
    assert await counts(client, "tax", "k-s") == {"requests": 2, "filings": 1, "cancellations": 1}


async def test_soap_faults(client: httpx.AsyncClient) -> None:
    client_fault = await soap(client, "<broken", NS["tax"] + "#SubmitFiling")
    assert client_fault.status_code == 500
    assert b"<faultcode>soap:Client</faultcode>" in client_fault.content
    await client.post("/_control/tax", json={"fail_first": 1})
    server_fault = await soap(client, soap_submit("k-f", {}), NS["tax"] + "#SubmitFiling")
    assert server_fault.status_code == 500
    fault = ET.fromstring(server_fault.content).find("soap:Body/soap:Fault", NS)
    assert fault is not None and fault.findtext("faultcode") == "soap:Server"
    assert (await soap(client, soap_submit("k-f", {}), NS["tax"] + "#SubmitFiling")).is_success
    assert await counts(client, "tax", "k-f") == {"requests": 2, "filings": 1, "cancellations": 0}


async def test_poll_processing_then_completed(client: httpx.AsyncClient) -> None:
    body = {**FILING, "subtask": "hrss-social-insurance", "materials": []}
    headers = {"Idempotency-Key": "k-p"}
    submitted = await client.post("/hrss/applications", json=body, headers=headers)
    assert submitted.status_code == 202
    ticket = submitted.json()["ticket"]
    again = await client.post("/hrss/applications", json=body, headers=headers)
    assert again.json() == {"ticket": ticket}
    first_look = await client.get(f"/hrss/applications/{ticket}")
    assert first_look.json() == {"state": "processing", "ticket": ticket}
    assert first_look.headers["retry-after"] == "1"
    await asyncio.sleep(0.25)
    done = (await client.get(f"/hrss/applications/{ticket}")).json()
    assert done["state"] == done["status"] == "completed"
    assert done["outputs"]["social_insurance_number"]
    assert (await client.get("/hrss/applications/HRSS-T-NOPE")).status_code == 404
    cancelled = await client.post(f"/hrss/applications/{ticket}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert (await client.get(f"/hrss/applications/{ticket}")).json()["state"] == "cancelled"
    assert await counts(client, "hrss", "k-p") == {"requests": 2, "filings": 1, "cancellations": 1}


async def test_control_validates_and_reset_restores(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_control/amr", json={"error_rate": 2})).status_code == 400
    assert (await client.post("/_control/amr", json={"nonsense": 1})).status_code == 400
    assert (await client.post("/_control/xyz", json={})).status_code == 404
    await client.post("/_control/amr", json={"fail_first": 5})
    await file(client, "k-r")
    assert (await client.post("/_control/reset")).json() == {"status": "reset"}
    assert (await client.get("/_control/filings")).json() == {}
    assert (await client.get("/_control/amr")).json()["fail_first"] == 0
