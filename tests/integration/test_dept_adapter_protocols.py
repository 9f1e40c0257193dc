"""dept_adapter against the real legacy_sim process and the real PostgreSQL: every protocol
style files, and its decision is recorded once, as the task result of the dispatch."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from services.dept_adapter.domain.signature import signed
from tests.integration.dept_adapter_support import (
    SECRET,
    Adapter,
    adapter,
    adapter_on,
    legacy_sim,
)

__all__ = ["adapter", "legacy_sim"]  # fixtures


async def test_rest_filing_completes_with_outputs(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch(
        "amr", "amr-licence", {"company_name": "杭州云帆科技有限公司"}, ("articles",)
    )
    key = dispatched.payload["filing_key"]
    completed = await adapter.wait_for(key, "SubtaskCompleted")
    assert completed.payload["outputs"]["company_name"] == "杭州云帆科技有限公司"
    assert len(completed.payload["outputs"]["credit_code"]) == 18
    assert completed.payload["legacy_receipt"].startswith("AMR-")
    assert completed.payload["filing_key"] == key
    assert completed.causation_id == dispatched.event_id
    assert completed.correlation_id == dispatched.correlation_id
    assert completed.application_id == dispatched.application_id
    assert await adapter.ledger("amr", key) == {"requests": 1, "filings": 1, "cancellations": 0}
    types = [e.event_type for e in await adapter.stream(key)]
    assert types == ["DeptAdapterFilingRequested", "SubtaskCompleted"]


async def test_a_redelivered_or_repeated_dispatch_files_once(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch("hpf", "hpf-account", {"x": "1"})
    again = await adapter.dispatch(
        "hpf", "hpf-account", {"x": "1"}, key=dispatched.payload["filing_key"]
    )
    await adapter.deliver(dispatched)  # the same event again: the inbox drops it
    key = again.payload["filing_key"]
    await adapter.wait_for(key, "SubtaskCompleted")
    assert [e.event_type for e in await adapter.stream(key)] == [
        "DeptAdapterFilingRequested",
        "SubtaskCompleted",
    ]


async def test_soap_tax_filing_completes(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch(
        "tax", "tax-invoice",
        {"credit_code": "91350100M000100Y43", "company_name": "杭州云帆科技有限公司", "n": 3},
        ("business-licence", "id-tax-officer"),
    )  # fmt: skip
    completed = await adapter.wait_for(dispatched.payload["filing_key"], "SubtaskCompleted")
    assert completed.payload["outputs"]["tax_registration_number"] == "91350100M000100Y43"
    assert completed.payload["outputs"]["invoice_quota"]
    assert completed.payload["legacy_receipt"].startswith("TAX-")


async def test_poll_style_is_accepted_then_completed(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch("hrss", "hrss-social-insurance", {"credit_code": "9"})
    key = dispatched.payload["filing_key"]
    accepted = await adapter.wait_for(key, "SubtaskAccepted")
    assert accepted.payload["legacy_receipt"].startswith("HRSS-T-")
    assert accepted.causation_id == dispatched.event_id
    completed = await adapter.wait_for(key, "SubtaskCompleted")
    assert completed.payload["outputs"]["social_insurance_number"]
    assert completed.payload["legacy_receipt"].startswith("HRSS-")
    types = [e.event_type for e in await adapter.stream(key)]
    assert types == ["DeptAdapterFilingRequested", "SubtaskAccepted", "SubtaskCompleted"]


async def test_callback_style_completes_through_the_adapters_endpoint(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch(
        "nrb", "nrb-transfer-registration", {"city": "杭州市"}, ("property-certificate",)
    )
    key = dispatched.payload["filing_key"]
    accepted = await adapter.wait_for(key, "SubtaskAccepted")
    completed = await adapter.wait_for(key, "SubtaskCompleted")
    assert completed.payload["outputs"]["certificate_number"].startswith("浙(")
    assert completed.payload["legacy_receipt"] == accepted.payload["legacy_receipt"]
    assert completed.causation_id == dispatched.event_id
    async with asyncio.timeout(5):
        while (deliveries := (await adapter.sim.get("/_control/callbacks")).json())[0][
            "state"
        ] != "delivered":
            await asyncio.sleep(0.02)
    assert deliveries[0]["url"].startswith(f"{adapter.url}/callbacks/nrb?filing_key=")
    types = [e.event_type for e in await adapter.stream(key)]
    assert types == ["DeptAdapterFilingRequested", "SubtaskAccepted", "SubtaskCompleted"]


async def test_callback_with_a_bad_signature_is_refused_and_changes_nothing(
    adapter: Adapter,
) -> None:
    await adapter.configure("nrb", processing_delay_ms=60_000)
    dispatched = await adapter.dispatch("nrb", "nrb-transfer-registration", {"city": "杭州市"})
    key = dispatched.payload["filing_key"]
    receipt = (await adapter.wait_for(key, "SubtaskAccepted")).payload["legacy_receipt"]
    body = f'{{"status":"rejected","receipt":"{receipt}","reason":"伪造"}}'.encode()
    async with httpx.AsyncClient(base_url=adapter.url) as http:
        forged = await http.post(
            "/callbacks/nrb", params={"filing_key": key}, content=body,
            headers={"X-Legacy-Signature": signed(b"wrong-secret", body)},
        )  # fmt: skip
        unsigned = await http.post("/callbacks/nrb", params={"filing_key": key}, content=body)
        wrong_key = await http.post(
            "/callbacks/nrb", params={"filing_key": "nope"}, content=body,
            headers={"X-Legacy-Signature": signed(SECRET.encode(), body)},
        )  # fmt: skip
        genuine = await http.post(
            "/callbacks/nrb", params={"filing_key": key}, content=body,
            headers={"X-Legacy-Signature": signed(SECRET.encode(), body)},
        )  # fmt: skip
        repeat = await http.post(
            "/callbacks/nrb", params={"filing_key": key}, content=body,
            headers={"X-Legacy-Signature": signed(SECRET.encode(), body)},
        )  # fmt: skip
    assert (forged.status_code, unsigned.status_code, wrong_key.status_code) == (401, 401, 404)
    assert genuine.status_code == 200 and repeat.status_code == 200
    types = [e.event_type for e in await adapter.stream(key)]
    assert types == ["DeptAdapterFilingRequested", "SubtaskAccepted", "SubtaskRejected"]


async def test_rejection_carries_the_reason(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch(
        "amr", "amr-licence", {"business_scope": "测试驳回"}, ("articles",)
    )
    rejected = await adapter.wait_for(dispatched.payload["filing_key"], "SubtaskRejected")
    assert "business_scope" in rejected.payload["reason"]
    assert rejected.payload["legacy_receipt"].startswith("AMR-")


async def test_supplement_lists_every_material_at_once(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch("amr", "amr-licence", {"address": "测试补正"})
    supplement = await adapter.wait_for(dispatched.payload["filing_key"], "SupplementRequested")
    materials = {m["code"]: m for m in supplement.payload["materials"]}
    assert set(materials) == {"articles", "address"}
    assert materials["articles"]["name"] == "公司章程"


async def test_failing_first_twice_files_once_after_three_requests(adapter: Adapter) -> None:
    await adapter.configure("amr", fail_first=2)
    dispatched = await adapter.dispatch("amr", "amr-licence", {"n": "1"}, ("articles",))
    key = dispatched.payload["filing_key"]
    await adapter.wait_for(key, "SubtaskCompleted")
    assert await adapter.ledger("amr", key) == {"requests": 3, "filings": 1, "cancellations": 0}
    assert (await adapter.departments_state())["amr"]["breaker"] == "closed"


async def test_a_400_or_soap_client_fault_fails_the_subtask_without_retrying(
    pool: asyncpg.Pool, legacy_sim: str
) -> None:
    # water misconfigured onto nrb's path: the body lacks callback_url, a 400 for ever.
    async with adapter_on(pool, legacy_sim, {"water": {"path": "/nrb"}}) as adapter:
        await _fails_terminally(adapter)


async def _fails_terminally(adapter: Adapter) -> None:
    rest = await adapter.dispatch("water", "water-transfer", {"a": "1"})
    failed = await adapter.wait_for(rest.payload["filing_key"], "SubtaskFailed")
    assert (
        failed.payload["error"].startswith("HTTP 400") and "callback_url" in failed.payload["error"]
    )
    assert failed.causation_id == rest.event_id
    assert await adapter.ledger("nrb", rest.payload["filing_key"]) is None  # 400: not counted
    # A blank key passes the event contract but not the legacy systems' validation.
    await adapter.dispatch("tax", "tax-invoice", {"a": "1"}, key="  ")
    soap_failed = await adapter.wait_for("  ", "SubtaskFailed")
    assert soap_failed.payload["error"].startswith("soap:Client MISSING_ELEMENT")
    assert (await adapter.sim.get("/_control/filings")).json() == {}  # nothing counted
    assert (await adapter.departments_state())["water"]["breaker"] == "closed"
