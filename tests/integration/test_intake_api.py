"""intake's HTTP API against a started intake service (real PostgreSQL and broker)."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from contracts.envelope import Envelope
from contracts.events import Delivery, MissingMaterial, SupplementNoticeIssued, SupplementRequest
from runtime.service import Service
from services.intake.adapters import issue_api_key
from services.intake.adapters.projection import apply
from tests.integration.applications import example, submit
from tests.integration.in_process import intake_on, running

Keyed = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture(scope="module")
async def intake(stack) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    async with running(intake_on(stack, max_body_bytes=64 * 1024)) as service:
        yield service


@pytest.fixture
def keyed(intake: Service) -> Keyed:
    """Headers with a fresh API key of a new client of the given kind."""

    async def headers(kind: str = "web", idempotency: str | None = None) -> dict[str, str]:
        key = await issue_api_key(intake.pool, f"{kind}-{uuid4().hex[:8]}", kind)
        found = {"Authorization": f"Bearer {key}"}
        return found | ({"Idempotency-Key": idempotency} if idempotency else {})

    return headers


async def test_submitted_application_is_visible_at_once(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    headers = await keyed("web")
    answer = await submit(http, headers, example())
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    assert answer.headers["location"] == accepted["status_url"]
    assert accepted["receipt_number"].startswith("YC")

    seen = await http.get(accepted["status_url"], headers=headers)
    assert seen.status_code == 200, seen.text
    view = seen.json()
    assert (view["status"], view["matter"], view["channel"]) == (
        "submitted", "business-startup", "web",
    )  # fmt: skip
    assert view["receipt_number"] == accepted["receipt_number"]
    assert view["subtasks"] == [] and view["supplement"] is None and view["outcome"] is None
    assert [(t["event_type"], t["producer"]) for t in view["timeline"]] == [
        ("ApplicationSubmitted", "intake")
    ]
    assert accepted["receipt_number"] in view["timeline"][0]["summary"]

    async with intake.pool.acquire() as conn:
        payload = json.loads(
            await conn.fetchval(
                "SELECT payload FROM events WHERE application_id = $1",
                UUID(accepted["application_id"]),
            )
        )
    assert payload["channel"] == "web" and payload["client"].startswith("web-")
    assert payload["delivery"] == {"channel": "email", "address": "chen@example.cn"}
    assert payload["applicant"]["id_number"] == "330106199003071236"


async def test_same_key_same_body_same_answer_other_body_409(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    headers = await keyed("mobile")
    body = example("newborn", materials=["baby-photo"])
    first = await submit(http, headers, body, key="k-1")
    reordered = json.dumps(dict(reversed(list(body.items()))), ensure_ascii=False, indent=2)
    again = await http.post(
        "/v1/applications",
        content=reordered.encode(),
        headers=headers | {"Idempotency-Key": "k-1", "Content-Type": "application/json"},
    )
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()

    other = copy.deepcopy(body)
    other["form"]["baby"]["name"] = "周可心"
    refused = await submit(http, headers, other, key="k-1")
    assert refused.status_code == 409
    assert refused.json()["code"] == "idempotency_key_reused"
    async with intake.pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM events WHERE application_id = $1",
            UUID(first.json()["application_id"]),
        )
    assert count == 1


async def test_concurrent_identical_requests_make_one_application(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    headers = await keyed("kiosk")
    body = example("housing-transfer")
    answers = await asyncio.gather(*(submit(http, headers, body, key="same") for _ in range(12)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["application_id"] for a in answers}) == 1
    client = await _client_of(intake, headers)
    async with intake.pool.acquire() as conn:
        submitted = await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'ApplicationSubmitted'"
            " AND payload->>'client' = $1",
            client,
        )
    assert submitted == 1


async def _client_of(intake: Service, headers: dict[str, str]) -> str:
    from services.intake.adapters.api_keys import find_caller

    caller = await find_caller(intake.pool, headers["Authorization"].removeprefix("Bearer "))
    assert caller is not None
    return caller.client_id


async def test_a_clerk_files_through_the_window_and_sees_every_application(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    owner, stranger, clerk = await keyed("web"), await keyed("web"), await keyed("clerk")
    mine = (await submit(http, owner, example())).json()
    url = mine["status_url"]
    assert (await http.get(url, headers=owner)).status_code == 200
    hidden = await http.get(url, headers=stranger)
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    withdraw = await http.post(f"{url}/withdraw", json={"reason": "x"}, headers=stranger)
    assert withdraw.status_code == 404
    assert (await http.get(url, headers=clerk)).json()["client"].startswith("web-")

    filed = (await submit(http, clerk, example("equity-transfer"))).json()
    view = (await http.get(filed["status_url"], headers=clerk)).json()
    assert view["channel"] == "window"


async def test_list_filters_and_pages(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    headers, clerk = await keyed("web"), await keyed("clerk")
    for matter in ("business-startup", "business-startup", "newborn"):
        assert (await submit(http, headers, example(matter))).status_code == 202

    async def listed(who: dict[str, str], **query: Any) -> dict[str, Any]:
        answer = await http.get("/v1/applications", params=query, headers=who)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    today = datetime.now(UTC).date()
    assert (await listed(headers))["total"] == 3
    assert [i["matter"] for i in (await listed(headers, matter="newborn"))["items"]] == ["newborn"]
    assert (await listed(headers, status="submitted"))["total"] == 3
    assert (await listed(headers, status="approved"))["total"] == 0
    assert (await listed(headers, submitted_from=today.isoformat()))["total"] == 3
    assert (await listed(headers, submitted_to=str(today - timedelta(days=1))))["total"] == 0
    assert (await listed(headers, submitted_to=today.isoformat()))["total"] == 3
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await listed(headers, submitted_from=later))["total"] == 0
    first = await listed(headers, limit=2)
    assert (len(first["items"]), first["next_offset"]) == (2, 2)
    rest = await listed(headers, limit=2, offset=2)
    assert (len(rest["items"]), rest["next_offset"]) == (1, None)
    assert {i["application_id"] for i in first["items"] + rest["items"]} == {
        i["application_id"] for i in (await listed(headers))["items"]
    }
    assert (await listed(await keyed("web")))["total"] == 0
    assert (await listed(clerk, matter="newborn"))["total"] >= 1

    for bad in ({"submitted_from": "yesterday"}, {"limit": 0}, {"status": "lost"}):
        refused = await http.get("/v1/applications", params=bad, headers=headers)
        assert refused.status_code == 400, bad
        assert refused.json()["code"] == "bad_request"


async def test_transport_errors(http: httpx.AsyncClient, keyed: Keyed) -> None:
    headers = await keyed("web", idempotency="t-1")
    malformed = await http.post(
        "/v1/applications",
        content=b'{"matter": "newborn",',
        headers=headers | {"Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    text = await http.post(
        "/v1/applications",
        content=b"matter=newborn",
        headers=headers | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert text.status_code == 415 and text.json()["code"] == "unsupported_media_type"
    big = example(form={"padding": "x" * 70_000})
    assert (await http.post("/v1/applications", json=big, headers=headers)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the streamed size counts
        yield b'{"matter": "' + b"x" * 40_000
        yield b"y" * 40_000 + b'"}'

    streamed = await http.post(
        "/v1/applications",
        content=chunks(),
        headers=headers | {"Content-Type": "application/json"},
    )
    assert streamed.status_code == 413 and streamed.json()["details"]["max_bytes"] == 65536
    no_key = await http.post(
        "/v1/applications", json=example(), headers={"Authorization": headers["Authorization"]}
    )
    assert no_key.status_code == 400
    assert no_key.json()["details"]["errors"][0]["field"] == "Idempotency-Key"


async def test_authentication(http: httpx.AsyncClient, keyed: Keyed) -> None:
    for headers in ({}, {"Authorization": "Bearer ow_nope"}, {"Authorization": "Basic abc"}):
        answer = await http.get("/v1/applications", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["code"] == "unauthenticated"
        assert answer.headers["www-authenticate"] == "Bearer"
    refused = await http.post("/v1/applications", json=example(), headers={"Idempotency-Key": "a"})
    assert refused.status_code == 401


def _errors(answer: httpx.Response) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    return [(e["field"], e["rule"]) for e in answer.json()["details"]["errors"]]


async def test_validation_names_the_field_and_the_rule(
    http: httpx.AsyncClient, keyed: Keyed
) -> None:
    headers = await keyed("web")
    body = example()
    body["applicant"]["id_number"] = "330106199003071235"
    answer = await submit(http, headers, body)
    assert _errors(answer) == [("applicant.id_number", "cn-resident-id")]
    assert "check digit" in answer.json()["details"]["errors"][0]["message"]

    body = example()
    body["form"]["legal_person"]["id_number"] = "330106199003071235"
    body["form"]["company"].pop("address")
    assert _errors(await submit(http, headers, body)) == [
        ("form.company.address", "required"),
        ("form.legal_person.id_number", "format"),
    ]

    unknown = await submit(http, headers, {**example(), "matter": "open-a-bar"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_matter"
    assert len(unknown.json()["details"]["valid_codes"]) == 5

    assert _errors(await submit(http, headers, example(color="red"))) == [
        ("color", "extra_forbidden")
    ]
    materials = example(materials=["premises-proof", "articles", "tea"])
    assert _errors(await submit(http, headers, materials)) == [
        ("materials.1", "not_applicant_material"),
        ("materials.2", "unknown_material"),
    ]
    for channel, address, rule in (
        ("email", "not-an-address", "email"),
        ("sms", "12345", "cn-mobile"),
        ("webhook", "ftp://example.cn/x", "url"),
    ):
        wrong = example(delivery={"channel": channel, "address": address})
        assert _errors(await submit(http, headers, wrong)) == [("delivery.address", rule)]
    company = example()
    company["applicant"] = {
        "kind": "company",
        "name": "杭州一窗科技",
        "id_number": "91330106MA2AXXXXX1",
    }
    assert _errors(await submit(http, headers, company)) == [
        ("applicant.id_number", "cn-credit-code")
    ]


async def _issue_notice(intake: Service, application_id: UUID, notice_id: str) -> None:
    """What the router's notice does once the consumer has it: applied to the read model."""
    missing = MissingMaterial(code="employee-list", name="参保职工花名册", reason="缺少")
    notice = SupplementNoticeIssued(
        matter="business-startup",
        matter_name="企业开办",
        receipt_number="YC",
        applicant_name="陈思远",
        delivery=Delivery(channel="email", address="chen@example.cn"),
        notice_id=notice_id,
        requests=(
            SupplementRequest(
                subtask="hrss-social-insurance",
                department="hrss",
                materials=(missing,),
            ),
        ),
    )
    envelope = Envelope.new(notice, application_id=application_id, producer="router")
    async with intake.pool.acquire() as conn, conn.transaction():
        assert await apply(conn, envelope)


async def test_supplement_answers_the_pending_notice_once(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    headers = await keyed("web")
    accepted = (await submit(http, headers, example())).json()
    url, application_id = accepted["status_url"], UUID(accepted["application_id"])
    answer = {"notice_id": "S1", "materials": ["employee-list"]}
    early = await http.post(f"{url}/supplements", json=answer, headers=headers)
    assert early.status_code == 409 and early.json()["details"]["pending_notice_id"] is None

    await _issue_notice(intake, application_id, "S1")
    view = (await http.get(url, headers=headers)).json()
    assert view["status"] == "supplement_requested"
    assert view["supplement"]["notice_id"] == "S1"
    assert view["supplement"]["requests"][0]["materials"][0]["code"] == "employee-list"

    wrong = await http.post(
        f"{url}/supplements", json={**answer, "notice_id": "S0"}, headers=headers
    )
    assert wrong.status_code == 409 and wrong.json()["code"] == "notice_not_pending"
    bad_form = example()["form"]
    bad_form["company"]["employees"] = -1
    invalid = await http.post(
        f"{url}/supplements", json={**answer, "form": bad_form}, headers=headers
    )
    assert _errors(invalid) == [("form.company.employees", "minimum")]

    corrected = example()["form"]
    corrected["company"]["employees"] = 9
    ok = await http.post(f"{url}/supplements", json={**answer, "form": corrected}, headers=headers)
    assert ok.status_code == 202, ok.text
    view = (await http.get(url, headers=headers)).json()
    assert view["status"] == "submitted" and view["supplement"] is None
    assert view["timeline"][-1]["event_type"] == "SupplementSubmitted"
    again = await http.post(f"{url}/supplements", json=answer, headers=headers)
    assert again.status_code == 409


async def test_withdraw_once(http: httpx.AsyncClient, keyed: Keyed) -> None:
    headers = await keyed("mobile")
    url = (await submit(http, headers, example("business-info-change"))).json()["status_url"]
    assert _errors(await http.post(f"{url}/withdraw", json={"reason": ""}, headers=headers)) == [
        ("reason", "string_too_short")
    ]
    done = await asyncio.gather(
        *(
            http.post(f"{url}/withdraw", json={"reason": "不办了"}, headers=headers)
            for _ in range(3)
        )
    )
    assert sorted(a.status_code for a in done) == [202, 409, 409]
    view = (await http.get(url, headers=headers)).json()
    assert view["status"] == "withdrawn"
    assert [t["event_type"] for t in view["timeline"]] == [
        "ApplicationSubmitted",
        "ApplicationWithdrawn",
    ]
    again = await http.post(f"{url}/withdraw", json={"reason": "再撤"}, headers=headers)
    assert again.status_code == 409 and again.json()["details"]["status"] == "withdrawn"


async def test_catalog_guides(http: httpx.AsyncClient) -> None:
    matters = (await http.get("/v1/matters")).json()
    assert {m["code"] for m in matters} == {
        "business-startup", "housing-transfer", "equity-transfer", "business-info-change",
        "newborn",
    }  # fmt: skip
    guide = (await http.get("/v1/matters/business-startup")).json()
    assert guide["form_schema"]["title"] == "企业开办一件事申请表"
    assert (guide["promised_days"], guide["max_visits"]) == (1, 0)
    materials = {m["code"]: m for m in guide["materials"]}
    assert materials["premises-proof"]["spared"] is False
    assert materials["id-legal-person"]["source"] == "shared:population"
    assert "id-legal-person" in guide["materials_spared"]
    assert "premises-proof" not in guide["materials_spared"]
    amr = next(d for d in guide["department_tasks"] if d["department"] == "amr")
    assert amr["subtasks"][0] == {
        "code": "amr-licence",
        "title": "企业设立登记并核发营业执照",
        "requires": [],
        "time_limit_days": 1,
    }
    missing = await http.get("/v1/matters/nothing")
    assert missing.status_code == 404 and "newborn" in missing.json()["details"]["valid_codes"]
    assert (await http.get("/docs")).status_code == 200
    paths = (await http.get("/openapi.json")).json()["paths"]
    assert "/v1/applications/{application_id}/supplements" in paths


async def test_unknown_paths_and_methods(http: httpx.AsyncClient, keyed: Keyed) -> None:
    headers = await keyed("web")
    nowhere = await http.get("/v1/nowhere", headers=headers)
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found"
    wrong = await http.delete("/v1/matters", headers=headers)
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    not_an_id = await http.get("/v1/applications/not-a-uuid", headers=headers)
    assert not_an_id.status_code == 404
