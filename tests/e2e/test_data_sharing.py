"""Data travels, not the applicant — end to end, every service its own process and legacy_sim's
data-sharing platform: identities checked against the population register, a deregistered
company refused, a register that is down turned into ONE notice asking to upload, the licence
of a company just started taken from the e-certificate library by its next application and
checked by the public endpoint, the access ledger of an application, and no register field
in any log that no sub-task uses."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from contracts.catalog import load_catalog
from contracts.catalog.evidence import IDENTITY, IDENTITY_FIELDS, register_fields
from contracts.events import RegisterLookupAnswered
from onewindow.applicant import Applicant, application_body
from onewindow.stack import Stack
from onewindow.webhook import WebhookReceiver
from tests.e2e.conftest import eventually, leaked_lines, settled, submitted

pytestmark = pytest.mark.e2e
CATALOG = load_catalog()
SCHEMAS = ("intake", "router", "dept_adapter", "notifier")
# The population register's records of the test persons (legacy_sim's data file): a name that
# differs from the form's by one character, and fields no sub-task uses.
MISMATCHED_ID, REGISTERED_NAME = "330106199003071551", "陈思源"
DEREGISTERED = ("91330102MA2CL8QW5X", "杭州已注销测试贸易有限公司")
UNUSED_VALUES = (
    "浙江省杭州市上城区河坊街112号2单元402室",
    "1992-08-15",
    "浙江省杭州市淳安县千岛湖镇新安东路88号",
)


async def state_when(
    applicant: Applicant, application_id: str, status: str, timeout: float = 60
) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        state = await applicant.application(application_id)
        return state if state["status"] == status else None

    found: dict[str, Any] = await eventually(reached, timeout)
    return found


async def ledger(applicant: Applicant, application_id: str) -> list[dict[str, Any]]:
    async with applicant.client() as http:
        response = await http.get(f"/v1/applications/{application_id}/data-access")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


async def verified(number: str, digest: str, base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url) as anonymous:  # public: no key
        response = await anonymous.get(
            "/v1/certificates/verify", params={"number": number, "hash": digest}
        )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_a_name_the_population_register_does_not_hold_for_the_id_is_one_supplement_naming_it(
    clients: dict[str, Applicant], webhook: WebhookReceiver, legacy: httpx.AsyncClient
) -> None:
    body = application_body(
        "business-startup", {"channel": "webhook", "address": webhook.url("id")}
    )
    body["form"]["legal_person"]["id_number"] = MISMATCHED_ID  # registered as 陈思源
    web = clients["web"]
    application_id = await submitted(web, body)
    state = await state_when(web, application_id, "supplement_requested")
    (request,) = state["supplement"]["requests"]
    assert request["department"] == "amr"
    assert [m["code"] for m in request["materials"]] == ["legal_person.name"]
    assert "人口基础信息库" in request["materials"][0]["reason"]
    assert state["subtasks"] == []  # no department was bothered with it
    await eventually(lambda: asyncio.sleep(0, webhook.received("id")))
    (notice,) = webhook.received("id")
    assert notice.body["kind"] == "supplement"

    corrected = body["form"]
    corrected["legal_person"]["name"] = REGISTERED_NAME
    async with web.client() as http:
        answer = await http.post(
            f"/v1/applications/{application_id}/supplements",
            json={"notice_id": state["supplement"]["notice_id"], "form": corrected},
        )
    assert answer.status_code == 202, answer.text
    final = await settled(web, application_id, timeout=90)
    assert final["status"] == "approved"
    filings = (await legacy.get("/_control/filings")).json()
    assert filings["amr"][f"{application_id}:amr-licence:1"]["filings"] == 1


async def test_a_deregistered_company_cannot_change_its_details(
    clients: dict[str, Applicant], webhook: WebhookReceiver
) -> None:
    body = application_body(
        "business-info-change", {"channel": "webhook", "address": webhook.url("gone")}
    )
    credit_code, name = DEREGISTERED
    body["form"]["company"] = {"credit_code": credit_code, "name": name}
    state = await settled(clients["web"], await submitted(clients["web"], body))
    assert state["status"] == "rejected"
    (reason,) = state["outcome"]["reasons"]
    assert reason["subtask"] == "amr-change"
    assert "deregistered" in reason["reason"] and "市场主体登记信息库" in reason["reason"]
    assert state["subtasks"] == []
    (notice,) = webhook.received("gone")
    assert notice.body["kind"] == "rejection"


async def test_a_register_down_ends_in_one_notice_asking_to_upload_never_a_stall(
    clients: dict[str, Applicant], webhook: WebhookReceiver, legacy: httpx.AsyncClient
) -> None:
    answer = await legacy.post("/_control/sharing/tax-filings", json={"error_rate": 1.0})
    assert answer.status_code == 200, answer.text
    body = application_body(
        "equity-transfer", {"channel": "webhook", "address": webhook.url("down")}
    )
    web = clients["web"]
    try:
        application_id = await submitted(web, body)
        state = await state_when(web, application_id, "supplement_requested", timeout=30)
    finally:
        await legacy.post("/_control/sharing/tax-filings", json={"error_rate": 0})
    (request,) = state["supplement"]["requests"]
    assert request["subtask"] == "tax-equity-report"
    (missing,) = request["materials"]
    assert missing["code"] == "financial-statements" and "上传" in missing["reason"]
    await eventually(lambda: asyncio.sleep(0, webhook.received("down")))
    assert [d.body["kind"] for d in webhook.received("down")] == ["supplement"]

    async with web.client() as http:
        uploaded = await http.post(
            f"/v1/applications/{application_id}/supplements",
            json={
                "notice_id": state["supplement"]["notice_id"],
                "materials": ["financial-statements"],
            },
        )
    assert uploaded.status_code == 202, uploaded.text
    final = await settled(web, application_id, timeout=90)
    assert final["status"] == "approved"
    assert [d.body["kind"] for d in webhook.received("down")] == ["supplement", "result"]
    (fetch,) = [e for e in await ledger(web, application_id) if e["what"] == "tax-filings"]
    assert fetch["source"] == "register" and "unavailable" in fetch["outcome"]


async def test_a_company_just_started_brings_no_licence_to_its_change_and_the_old_one_is_replaced(
    services: Stack, clients: dict[str, Applicant], webhook: WebhookReceiver
) -> None:
    web, clerk = clients["web"], clients["clerk"]
    body = application_body(
        "business-startup", {"channel": "webhook", "address": webhook.url("new")}
    )
    started = await settled(web, await submitted(web, body), timeout=90)
    assert started["status"] == "approved"
    licence = started["outputs"]["amr-licence"]
    (delivery,) = webhook.received("new")
    issued = {c["number"]: c for c in delivery.body["document"]["certificates"]}
    first = issued[licence["licence_number"]]
    base = services.url("intake")
    genuine = await verified(first["number"], first["verification_hash"], base)
    assert (genuine["verdict"], genuine["kind"], genuine["issuer"]) == (
        "genuine", "business-licence", "amr",
    )  # fmt: skip
    assert genuine["holder_name"].startswith("杭") and licence["company_name"] not in str(genuine)

    change = application_body(
        "business-info-change", {"channel": "webhook", "address": webhook.url("changed")}
    )
    change["form"]["company"] = {
        "credit_code": licence["credit_code"],
        "name": licence["company_name"],
    }
    assert "business-licence" not in change["materials"]  # the applicant does not bring it
    changed_id = await submitted(web, change)
    changed = await settled(web, changed_id, timeout=90)
    assert changed["status"] == "approved"
    (library,) = [e for e in await ledger(web, changed_id) if e["source"] == "e-certificate"]
    assert library["what"] == "business-licence"
    assert licence["licence_number"] in library["outcome"]
    registers = [e["what"] for e in await ledger(web, changed_id) if e["source"] == "register"]
    assert registers.count("business-registry") == 1  # the registration check, not the licence

    (delivered,) = webhook.received("changed")
    (new,) = [c for c in delivered.body["document"]["certificates"] if c["subtask"] == "amr-change"]
    assert (await verified(first["number"], first["verification_hash"], base))[
        "verdict"
    ] == "replaced"
    assert (await verified(new["number"], new["verification_hash"], base))["verdict"] == "genuine"
    bogus = await verified(new["number"], "0" * 64, base)
    assert bogus == {"verdict": "unknown", "number": new["number"], "kind": None, "title": None,
                     "issuer": None, "issuer_name": None, "issued_on": None, "status": None,
                     "holder_name": None}  # fmt: skip

    async with clerk.client() as http:
        held = (
            await http.get("/v1/certificates", params={"holder": licence["credit_code"]})
        ).json()
    statuses = {(c["kind"], c["number"]): c["status"] for c in held["items"]}
    assert statuses[("business-licence", first["number"])] == "replaced"
    assert statuses[("business-licence", new["number"])] == "valid"
    async with web.client() as http:
        refused = await http.get("/v1/certificates", params={"holder": licence["credit_code"]})
    assert refused.status_code == 403


async def test_the_access_ledger_lists_every_fetch_and_clerk_read_of_an_application_only(
    clients: dict[str, Applicant], webhook: WebhookReceiver
) -> None:
    web, clerk = clients["web"], clients["clerk"]
    by_mail = {"channel": "email", "address": "ledger@example.cn"}
    mine = await submitted(web, application_body("newborn", by_mail))
    other = await submitted(web, application_body("business-startup", by_mail))
    await settled(web, mine, timeout=90)
    await settled(web, other, timeout=90)
    await clerk.application(mine)
    await clerk.application(mine)
    await clerk.application(other)
    entries = await ledger(web, mine)
    fetched = sorted(e["what"] for e in entries if e["source"] == "register")
    assert fetched == ["birth-medical-record", "marriage-registry", "population"]
    reads = [e for e in entries if e["source"] == "clerk"]
    assert len(reads) == 2 and {r["what"] for r in reads} == {"application"}
    assert all(r["who"].startswith("clerk-") for r in reads)
    assert len(entries) == len(fetched) + len(reads)  # nothing of the other application
    assert all("330108********2821" in e["records"] for e in entries if e["what"] != "population"
               and e["source"] == "register")  # fmt: skip
    population = next(e for e in entries if e["what"] == "population")
    assert population["fields"] == ["name"] and "hhc-birth-certificate" in population["why"]
    seen_by_clerk = await ledger(clerk, mine)
    assert [e for e in seen_by_clerk if e["source"] == "register"] == entries[: len(fetched)]
    async with clients["mobile"].client() as http:
        assert (await http.get(f"/v1/applications/{mine}/data-access")).status_code == 404


async def test_no_event_holds_a_register_field_no_subtask_uses(services: Stack) -> None:
    """After the tests above: every record in any log carries only the fields asked for it,
    and what was asked is only what some sub-task's input mapping or a check uses."""
    conn = await asyncpg.connect(services.database_url)
    try:
        texts = [
            r["payload"]
            for schema in SCHEMAS
            for r in await conn.fetch(f"SELECT payload::text AS payload FROM {schema}.events")
        ]
        answers = [
            RegisterLookupAnswered.model_validate_json(r["payload"])
            for r in await conn.fetch(
                "SELECT payload FROM dept_adapter.events WHERE event_type = $1",
                RegisterLookupAnswered.event_type,
            )
        ]
    finally:
        await conn.close()
    assert answers, "no lookup was answered"
    for answer in answers:
        matter = CATALOG.matter(answer.matter)
        for dataset in answer.answers:
            allowed = {
                f
                for m in dataset.materials
                for f in (
                    IDENTITY_FIELDS
                    if m == IDENTITY
                    else register_fields(matter, matter.material(m))
                )
            }
            for record in dataset.records:
                assert set(record.record) <= allowed, (answer.matter, dataset.dataset)
    leaks = [v for v in UNUSED_VALUES for text in texts if v in text]
    assert leaks == []


def test_no_log_line_of_this_module_shows_an_id_number_or_a_mobile_in_clear(
    services: Stack,
) -> None:
    lines, leaks = leaked_lines(services)
    assert len(lines) > 50
    assert leaks == []
