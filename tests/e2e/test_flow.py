"""The single-window flow end to end: every service its own process, the legacy systems
(legacy_sim: REST, SOAP, poll, callback, and psb answering on Kafka itself) their own process,
a client through intake's HTTP API, and the one result observed where the applicant gets it."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from contracts.catalog import load_catalog
from onewindow.applicant import Applicant, application_body
from onewindow.stack import Stack
from onewindow.webhook import WebhookReceiver
from tests.e2e.conftest import eventually, leaked_lines, settled, submitted

pytestmark = pytest.mark.e2e
CATALOG = load_catalog()


async def mails_to(legacy: httpx.AsyncClient, address: str) -> list[dict[str, Any]]:
    mails = (await legacy.get("/_control/mail")).json()
    return [m for m in mails if address in m["to"]]


async def test_every_matter_reaches_its_one_result_by_webhook_and_by_email(
    clients: dict[str, Applicant], webhook: WebhookReceiver, legacy: httpx.AsyncClient
) -> None:
    web = clients["web"]
    ids: dict[tuple[str, str], str] = {}
    for matter in CATALOG.matters:
        hook = {"channel": "webhook", "address": webhook.url(f"flow/{matter}")}
        mail = {"channel": "email", "address": f"{matter}@applicant.example.cn"}
        ids[matter, "webhook"] = await submitted(web, application_body(matter, hook))
        ids[matter, "email"] = await submitted(web, application_body(matter, mail))
    states = {k: await settled(web, i, timeout=120) for k, i in ids.items()}

    for (matter, channel), state in states.items():
        subtasks = CATALOG.matter(matter).subtasks
        assert state["status"] == "approved", (matter, state)
        assert {s["subtask"]: s["status"] for s in state["subtasks"]} == {
            s.code: "completed" for s in subtasks
        }
        certificates = state["outcome"]["certificates"]
        assert len(certificates) == len(subtasks)
        if channel == "webhook":
            (delivery,) = webhook.received(f"flow/{matter}")
            assert delivery.signature_valid
            numbers = {c["number"] for c in delivery.body["document"]["certificates"]}
            assert numbers == {c["number"] for c in certificates}
        else:
            (mail,) = await mails_to(legacy, f"{matter}@applicant.example.cn")
            assert state["receipt_number"] in mail["text"]
            assert all(c["number"] in mail["text"] for c in certificates)

    # data flowed on: the licence's credit code is what tax and psb were given
    startup = states["business-startup", "webhook"]
    credit_code = startup["outputs"]["amr-licence"]["credit_code"]
    assert startup["outputs"]["tax-invoice"]["tax_registration_number"] == credit_code
    # psb answered on Kafka itself, not through the adapter
    psb = [e for e in startup["timeline"] if e["event_type"] == "SubtaskCompleted"]
    assert {e["producer"] for e in psb} >= {"legacy-psb", "dept_adapter"}


async def test_one_submission_is_one_trace_of_causes_across_every_service(
    services: Stack, clients: dict[str, Applicant], webhook: WebhookReceiver
) -> None:
    hook = {"channel": "webhook", "address": webhook.url("causes")}
    application_id = await submitted(clients["web"], application_body("newborn", hook))
    await settled(clients["web"], application_id)
    events = []
    conn = await asyncpg.connect(services.database_url)
    try:
        for schema in ("intake", "router", "dept_adapter", "notifier"):
            events += await conn.fetch(
                f"SELECT event_id, correlation_id, causation_id, producer FROM {schema}.events"
                " WHERE application_id = $1",
                application_id,
            )
    finally:
        await conn.close()
    assert {e["producer"] for e in events} == {"intake", "router", "dept_adapter", "notifier"}
    assert {e["correlation_id"] for e in events} == {events[0]["correlation_id"]}
    assert all(e["causation_id"] for e in events if e["producer"] != "intake")


async def test_a_rejection_cancels_the_departments_still_working(
    clients: dict[str, Applicant], webhook: WebhookReceiver, legacy: httpx.AsyncClient
) -> None:
    # The marked field is one only hrss reads; a marked name would be caught before any
    # department sees it, by the check against the population register.
    await legacy.post("/_control/mia", json={"latency_ms": 3000})
    body = application_body("newborn", {"channel": "webhook", "address": webhook.url("rejected")})
    body["form"]["social_card"]["delivery_address"] += "测试驳回"
    try:
        state = await settled(clients["web"], await submitted(clients["web"], body))
    finally:
        await legacy.post("/_control/mia", json={"latency_ms": 5})
    assert state["status"] == "rejected"
    (reason,) = state["outcome"]["reasons"]
    assert reason["department"] == "hrss" and "人力资源" in reason["reason"]
    statuses = {s["department"]: s["status"] for s in state["subtasks"]}
    assert statuses["mia"] == "cancelled"
    (notice,) = webhook.received("rejected")
    assert notice.body["kind"] == "rejection"


async def test_three_departments_asking_for_supplements_make_one_notice_then_the_result(
    clients: dict[str, Applicant], webhook: WebhookReceiver, legacy: httpx.AsyncClient
) -> None:
    # The new holder's name goes to the three utilities only, and no register checks it.
    body = application_body(
        "housing-transfer", {"channel": "webhook", "address": webhook.url("supplement")}
    )
    body["form"]["utilities"]["new_holder_name"] = "周明测试补正"
    web = clients["web"]
    application_id = await submitted(web, body)

    async def notice() -> dict[str, Any] | None:
        state = await web.application(application_id)
        return state if state["status"] == "supplement_requested" else None

    state = await eventually(notice, timeout=90)
    await eventually(lambda: asyncio.sleep(0, webhook.received("supplement")))
    (sent,) = webhook.received("supplement")
    asked = {r["department"] for r in sent.body["document"]["requests"]}
    assert asked == {"water", "power", "gas"}
    corrected = body["form"]
    corrected["utilities"]["new_holder_name"] = "周明"
    async with web.client() as http:
        response = await http.post(
            f"/v1/applications/{application_id}/supplements",
            json={"notice_id": state["supplement"]["notice_id"], "form": corrected},
        )
    assert response.status_code == 202, response.text
    final = await settled(web, application_id, timeout=90)
    assert final["status"] == "approved"
    assert len(webhook.received("supplement")) == 2  # one notice, one result
    filings = (await legacy.get("/_control/filings")).json()
    nrb = filings["nrb"]
    assert nrb[f"{application_id}:nrb-transfer-registration:1"]["filings"] == 1
    assert f"{application_id}:nrb-transfer-registration:2" not in nrb  # nrb did not ask
    assert filings["water"][f"{application_id}:water-transfer:2"]["filings"] == 1


async def test_the_same_submission_twice_with_one_key_is_one_application(
    clients: dict[str, Applicant], webhook: WebhookReceiver
) -> None:
    body = application_body("newborn", {"channel": "webhook", "address": webhook.url("twice")})
    first, second = await asyncio.gather(
        clients["web"].submit(body, key="e2e-twice"), clients["web"].submit(body, key="e2e-twice")
    )
    assert first.status_code == second.status_code == 202
    assert first.json()["application_id"] == second.json()["application_id"]
    body["form"]["baby"]["name"] = "李小满"
    other = await clients["web"].submit(body, key="e2e-twice")
    assert other.status_code == 409
    assert other.json()["code"]


async def test_a_legacy_system_failing_twice_files_once(
    clients: dict[str, Applicant], webhook: WebhookReceiver, legacy: httpx.AsyncClient
) -> None:
    await legacy.post("/_control/amr", json={"fail_first": 2})
    body = application_body(
        "business-info-change", {"channel": "webhook", "address": webhook.url("retry")}
    )
    application_id = await submitted(clients["web"], body)
    state = await settled(clients["web"], application_id)
    assert state["status"] == "approved"
    ledger = (await legacy.get("/_control/filings")).json()["amr"][f"{application_id}:amr-change:1"]
    assert (ledger["requests"], ledger["filings"]) == (3, 1)


async def test_a_circuit_breaker_opens_and_recovers(
    services: Stack,
    clients: dict[str, Applicant],
    webhook: WebhookReceiver,
    legacy: httpx.AsyncClient,
) -> None:
    await legacy.post("/_control/hcd", json={"error_rate": 1.0})
    body = application_body(
        "housing-transfer", {"channel": "webhook", "address": webhook.url("breaker")}
    )
    application_id = await submitted(clients["web"], body)
    async with httpx.AsyncClient(base_url=services.url("dept_adapter")) as adapter:

        async def breaker(state: str) -> bool:
            departments = (await adapter.get("/departments")).json()
            return bool(departments["hcd"]["breaker"] == state)

        await eventually(lambda: breaker("open"), timeout=60)
        await legacy.post("/_control/hcd", json={"error_rate": 0})
        state = await settled(clients["web"], application_id, timeout=90)
        assert await breaker("closed")
    assert state["status"] == "approved"


async def test_a_client_cannot_see_another_clients_application(
    clients: dict[str, Applicant], webhook: WebhookReceiver
) -> None:
    body = application_body("newborn", {"channel": "webhook", "address": webhook.url("mine")})
    application_id = await submitted(clients["web"], body)
    async with clients["mobile"].client() as mobile:
        assert (await mobile.get(f"/v1/applications/{application_id}")).status_code == 404
        listed = (await mobile.get("/v1/applications")).json()
        assert application_id not in str(listed)
    assert (await clients["clerk"].application(application_id))["application_id"] == application_id


async def test_bad_requests_get_the_documented_errors(clients: dict[str, Applicant]) -> None:
    body = application_body("newborn", {"channel": "email", "address": "x@example.cn"})
    async with clients["web"].client() as http:
        key = {"Idempotency-Key": "e2e-bad"}
        malformed = await http.post(
            "/v1/applications",
            content=b'{"matter": ',
            headers={**key, "Content-Type": "application/json"},
        )
        assert malformed.status_code == 400 and malformed.json()["code"]
        wrong_type = await http.post(
            "/v1/applications",
            content=b"matter=newborn",
            headers={**key, "Content-Type": "text/plain"},
        )
        assert wrong_type.status_code == 415
        huge = {**body, "form": {**body["form"], "padding": "x" * 400_000}}
        assert (await http.post("/v1/applications", json=huge, headers=key)).status_code == 413
        body["form"]["mother"]["id_number"] = body["form"]["mother"]["id_number"][:-1] + (
            "0" if body["form"]["mother"]["id_number"][-1] != "0" else "1"
        )
        checksum = await http.post("/v1/applications", json=body, headers=key)
        assert checksum.status_code == 422
        assert "mother.id_number" in checksum.text
    async with httpx.AsyncClient(base_url=clients["web"].base_url) as anonymous:
        assert (await anonymous.get("/v1/applications")).status_code == 401


async def test_a_deficiency_accepted_application_is_held_until_the_material_arrives(
    clients: dict[str, Applicant], webhook: WebhookReceiver
) -> None:
    body = application_body(
        "business-startup", {"channel": "webhook", "address": webhook.url("held")}
    )
    body["materials"].remove("premises-proof")  # 容缺: not a key material, promised for later
    body |= {"deferred_materials": ["premises-proof"], "materials_promised_by": "2026-12-31"}
    web = clients["web"]
    application_id = await submitted(web, body)

    async def held() -> dict[str, Any] | None:
        state = await web.application(application_id)
        return state if state["status"] == "result_held" else None

    state = await eventually(held)
    assert {s["status"] for s in state["subtasks"]} == {"completed"}  # departments proceeded
    assert state["outcome"] is None
    async with web.client() as http:
        response = await http.post(
            f"/v1/applications/{application_id}/materials", json={"materials": ["premises-proof"]}
        )
    assert response.status_code == 202, response.text
    final = await settled(web, application_id)
    assert final["status"] == "approved"
    kinds = [d.body["kind"] for d in webhook.received("held")]
    assert kinds == ["held", "result"]


async def test_no_log_line_of_the_run_shows_an_id_number_or_a_mobile_in_clear(
    services: Stack,
) -> None:
    """Last in this module: scans what every process logged while the tests above ran."""
    lines, leaks = leaked_lines(services)
    assert len(lines) > 100
    assert leaks == []
