"""The data-sharing platform stand-in over HTTP: lookups, every refusal, the registers' controls
(errors, latency, fail_first, time-outs), the ledger of lookups, the load tools' zero latency,
and the catalog's examples found in the registers with matching names."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from onewindow.load.legacy import SYSTEMS, ZERO_LATENCY, LegacyControl
from onewindow.serving import serving
from services.legacy_sim.app import create_app
from services.legacy_sim.config import LegacySimSettings
from services.legacy_sim.domain.decisions import Completed, FilingRequest
from services.legacy_sim.domain.register_records import DATASETS

EXAMPLES = Path(__file__).parents[2] / "contracts" / "catalog" / "examples"
TOKEN = "onewindow-sharing-demo-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
APP = "0190a3c4-0000-7000-8000-000000000001"
CHEN = "330106199003071236"  # 陈思远 in the examples
NAME_MISMATCH = "330106199003071551"  # holds 陈思源
UNKNOWN_PERSON = "330106199505050013"
DEREGISTERED = "91330102MA2CL8QW5X"
ARREARS = "91330104MA2B6TKD8B"
CERTIFICATE = "浙（2016）杭州市不动产权第0087654号"
LOOKUP: dict[str, Any] = {
    "requester": "onewindow",
    "purpose": {"matter": "business-startup", "subtask": "*intake"},
    "application_id": APP,
    "keys": [CHEN],
}


def settings(**more: Any) -> LegacySimSettings:
    return LegacySimSettings(
        all_datasets={"latency_ms": 0, "jitter_ms": 0}, seed=11, smtp_port=0, **more
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        yield http


async def lookup(
    client: httpx.AsyncClient,
    dataset: str,
    keys: list[str],
    headers: dict[str, str] = AUTH,
    **more: Any,
) -> httpx.Response:
    body = {**LOOKUP, "keys": keys, **more}
    return await client.post(f"/sharing/datasets/{dataset}/lookups", json=body, headers=headers)


async def records(client: httpx.AsyncClient, dataset: str, keys: list[str]) -> list[Any]:
    answer = await lookup(client, dataset, keys)
    assert answer.status_code == 200, answer.text
    found: list[Any] = answer.json()["records"]
    return found


async def ledger(client: httpx.AsyncClient, **query: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (
        await client.get("/_control/sharing/ledger", params=query)
    ).json()["lookups"]
    return entries


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


# Lookups


async def test_a_lookup_answers_every_key_in_order_with_whole_records(
    client: httpx.AsyncClient,
) -> None:
    answer = await lookup(client, "population", [UNKNOWN_PERSON, CHEN])
    assert answer.status_code == 200
    assert answer.json()["dataset"] == "population"
    unknown, chen = answer.json()["records"]
    assert unknown == {"key": UNKNOWN_PERSON, "found": False}
    assert chen["key"] == CHEN and chen["found"] is True
    assert chen["record"] == {
        "name": "陈思远",
        "gender": "男",
        "birth_date": "1990-03-07",
        "household_address": "浙江省杭州市西湖区文三路259号5幢2单元601室",
        "ethnicity": "汉族",
    }
    assert chen["version"] == "2021-04-12T02:15:00Z"
    assert chen["digest"] == "sha256:" + hashlib.sha256(canonical(chen["record"])).hexdigest()


async def test_a_selection_answers_only_those_fields_and_the_digest_of_the_whole(
    client: httpx.AsyncClient,
) -> None:
    (whole,) = await records(client, "property-register", [CERTIFICATE])
    selected = await lookup(client, "property-register", [CERTIFICATE], fields=["area", "use"])
    (chosen,) = selected.json()["records"]
    assert chosen["record"] == {"area": 89.46, "use": "住宅"}
    assert chosen["digest"] == whole["digest"]
    assert chosen["version"] == whole["version"]


async def test_a_contract_is_found_by_its_number_and_by_the_certificate(
    client: httpx.AsyncClient,
) -> None:
    by_number, by_certificate = await records(
        client, "housing-contracts", ["HZ2024CL0012345", CERTIFICATE]
    )
    assert by_certificate["key"] == CERTIFICATE
    assert by_certificate["record"] == by_number["record"]
    assert by_certificate["digest"] == by_number["digest"]


async def test_the_deliberate_test_records(client: httpx.AsyncClient) -> None:
    (mismatch,) = await records(client, "population", [NAME_MISMATCH])
    assert mismatch["record"]["name"] == "陈思源"
    deregistered, arrears = await records(client, "business-registry", [DEREGISTERED, ARREARS])
    assert deregistered["record"]["status"] == "deregistered"
    assert arrears["record"]["status"] == "active"
    (owed,) = await records(client, "tax-filings", [ARREARS])
    assert owed["record"]["tax_status"] == "abnormal" and owed["record"]["arrears"] > 0
    for dataset in ("population", "marriage-registry", "birth-medical-record"):
        assert (await records(client, dataset, [UNKNOWN_PERSON]))[0]["found"] is False


async def test_a_company_amr_registers_is_in_the_business_registry_from_then_on() -> None:
    app = create_app(settings())
    form = {
        "company_name": "杭州测试科技有限公司",
        "registered_capital": 100,
        "address": "文一西路1号",
        "business_scope": "软件开发",
        "legal_person_name": "王丽",
    }
    materials = ("articles", "id-legal-person", "lease", "application-form",
                 "shareholder-resolution", "id-shareholders", "id-liaison")  # fmt: skip
    application = "01a23c19-d1ef-7f34-bf5b-8c830e97a11e"
    registration = FilingRequest("amr", "k-1", application, "amr-licence", form, materials)
    change = FilingRequest("amr", "k-2", registration.application_id, "amr-change", {})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as http:
        filing, _ = app.state.simulator.file(registration)
        assert isinstance(filing.decision, Completed)
        code = filing.decision.outputs["credit_code"]
        app.state.simulator.file(change)  # a change registers no company
        (found,) = await records(http, "business-registry", [code])
    assert found["found"] and found["record"]["name"] == "杭州测试科技有限公司"
    assert (found["record"]["status"], found["record"]["legal_representative"]) == (
        "active",
        "王丽",
    )
    assert (
        len(app.state.sharing.register("business-registry"))
        == len(create_app(settings()).state.sharing.register("business-registry")) + 1
    )


# Refusals


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x"]
)
async def test_without_the_token_a_lookup_is_401(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = await lookup(client, "population", [CHEN], headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    unknown = await lookup(client, "no-such-dataset", [CHEN], headers=headers)
    assert unknown.status_code == 401  # who asks is checked before what is asked
    assert await ledger(client) == []


@pytest.mark.parametrize("dataset", ["real-estate-registry", "populations", "POPULATION"])
async def test_an_unknown_dataset_is_404(client: httpx.AsyncClient, dataset: str) -> None:
    answer = await lookup(client, dataset, [CHEN])
    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown_dataset"
    assert "property-register" in answer.json()["message"]


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({**LOOKUP, "purpose": {"matter": "business-startup"}}, ["purpose.subtask"]),
        ({k: v for k, v in LOOKUP.items() if k != "requester"}, ["requester"]),
        ({**LOOKUP, "application_id": "app-1"}, ["application_id"]),
        ({**LOOKUP, "keys": []}, ["keys"]),
        ({**LOOKUP, "keys": [CHEN] * 51}, ["keys"]),
        ({**LOOKUP, "keys": [CHEN, ""]}, ["keys[1]"]),
        ({**LOOKUP, "fields": "name"}, ["fields"]),
        ({}, ["requester", "purpose.matter", "purpose.subtask", "application_id", "keys"]),
        ([LOOKUP], ["requester", "purpose.matter", "purpose.subtask", "application_id", "keys"]),
    ],
)
async def test_a_malformed_lookup_is_400_naming_what_is_missing(
    client: httpx.AsyncClient, body: Any, missing: list[str]
) -> None:
    answer = await client.post("/sharing/datasets/population/lookups", json=body, headers=AUTH)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request"
    assert answer.json()["missing"] == missing
    assert all(path in answer.json()["message"] for path in missing)
    assert await ledger(client) == []  # nothing answered, nothing written


async def test_unknown_fields_are_400_naming_them(client: httpx.AsyncClient) -> None:
    answer = await lookup(client, "tax-filings", [ARREARS], fields=["arrears", "name", "salary"])
    assert answer.status_code == 400
    assert answer.json()["missing"] == ["fields"]
    assert answer.json()["unknown_fields"] == ["name", "salary"]


HOSTILE = [
    b"",
    b"{",
    b"\xff\xfe\x00",
    b"[" * 50_000 + b"]" * 50_000,
    b'{"keys": NaN}',
    b'{"keys": [Infinity]}',
    b'{"requester": {"$gt": ""}, "purpose": [], "application_id": true, "keys": {"a": 1}}',
    b'{"requester": "onewindow", "purpose": {"matter": 1, "subtask": null}}',
    json.dumps({**LOOKUP, "keys": [[CHEN]], "fields": [None]}).encode(),
    json.dumps({**LOOKUP, "keys": [CHEN], "fields": [{"name": 1}]}).encode(),
    json.dumps({**LOOKUP, "application_id": "0190A3C4-0000-7000-8000-00000000000\u0661"}).encode(),
    json.dumps({**LOOKUP, "keys": ["\ud800"]}).encode(),
    json.dumps({**LOOKUP, "fields": ["?"]}).encode().replace(b"?", b"\xed\xa0\x80"),
]


@pytest.mark.parametrize("raw", HOSTILE)
async def test_no_body_gets_a_500(client: httpx.AsyncClient, raw: bytes) -> None:
    answer = await client.post(
        "/sharing/datasets/population/lookups",
        content=raw,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert answer.json()["error"] == "bad_request" and answer.json()["missing"]


# Controls


async def test_error_rate_one_fails_every_lookup_retryably(client: httpx.AsyncClient) -> None:
    configured = await client.post("/_control/sharing/population", json={"error_rate": 1.0})
    assert configured.json()["error_rate"] == 1.0
    assert (await client.get("/_control/sharing/population")).json()["error_rate"] == 1.0
    answers = [await lookup(client, "population", [CHEN]) for _ in range(10)]
    assert {a.status_code for a in answers} == {500, 503}
    for answer in answers:
        assert answer.json()["error"] in ("internal_error", "unavailable")
        assert (answer.headers.get("Retry-After") == "1") == (answer.status_code == 503)
    assert (await lookup(client, "tax-filings", [ARREARS])).status_code == 200  # per dataset
    failed = await ledger(client, dataset="population")
    assert [e["status"] for e in failed] == [a.status_code for a in answers]
    assert all(e["found"] == [] for e in failed)


async def test_fail_first_fails_the_first_attempts_of_each_lookup(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/_control/sharing/business-registry", json={"fail_first": 2})
    first = [(await lookup(client, "business-registry", [ARREARS])).status_code for _ in range(3)]
    assert first == [500, 500, 200]
    other = await lookup(client, "business-registry", [DEREGISTERED])
    assert other.status_code == 500  # another lookup counts its own attempts
    assert "injected failure 1 of the first 2" in other.json()["message"]


async def test_latency_is_waited_before_answering(client: httpx.AsyncClient) -> None:
    await client.post("/_control/sharing/marriage-registry", json={"latency_ms": 300})
    started = time.monotonic()
    answer = await lookup(client, "marriage-registry", [CHEN])
    assert answer.status_code == 200
    assert 0.3 <= time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"error_rate": 2}, 400),
        ({"latency": 5}, 400),
        ([1], 400),
        (b"[" * 50_000, 400),
    ],
)
async def test_a_bad_behaviour_is_400(client: httpx.AsyncClient, body: Any, status: int) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = await client.post("/_control/sharing/population", content=content)
    assert answer.status_code == status and "error" in answer.json()
    assert (await client.get("/_control/sharing/population")).json()["error_rate"] == 0.0


async def test_the_controls_of_an_unknown_dataset_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_control/sharing/nope")).status_code == 404
    assert (await client.post("/_control/sharing/nope", json={})).status_code == 404


async def test_reset_restores_the_behaviour_and_empties_the_ledger(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/_control/sharing/population", json={"fail_first": 1})
    assert (await lookup(client, "population", [CHEN])).status_code == 500
    await client.post("/_control/reset")
    assert (await client.get("/_control/sharing/population")).json()["fail_first"] == 0
    assert await ledger(client) == []
    assert (await lookup(client, "population", [CHEN])).status_code == 200


# The ledger of lookups


async def test_the_ledger_tells_who_asked_what_for_which_application_and_purpose(
    client: httpx.AsyncClient,
) -> None:
    other_app = "0190a3c4-0000-7000-8000-000000000002"
    purpose = {"matter": "housing-transfer", "subtask": "nrb-transfer-registration"}
    await lookup(client, "population", [CHEN, UNKNOWN_PERSON], fields=["name"])
    await lookup(
        client, "property-register", [CERTIFICATE], application_id=other_app.upper(),
        requester="window-hall", purpose=purpose,
    )  # fmt: skip
    entries = await ledger(client)
    assert [e["seq"] for e in entries] == [1, 2]
    first = {k: v for k, v in entries[0].items() if k != "at"}
    assert first == {
        "seq": 1,
        "requester": "onewindow",
        "application_id": APP,
        "purpose": {"matter": "business-startup", "subtask": "*intake"},
        "dataset": "population",
        "keys": [CHEN, UNKNOWN_PERSON],
        "fields": ["name"],
        "status": 200,
        "found": [CHEN],
        "stalled": False,
    }
    assert entries[0]["at"].endswith("Z")
    second = entries[1]
    assert second["application_id"] == other_app and second["requester"] == "window-hall"
    assert second["purpose"] == purpose and second["fields"] is None
    assert await ledger(client, application_id=other_app.upper()) == [second]
    assert await ledger(client, dataset="population") == [entries[0]]
    body = (await client.get("/_control/sharing/ledger")).json()
    assert body["dropped"] == 0


async def test_the_ledger_keeps_the_newest_lookups() -> None:
    transport = httpx.ASGITransport(app=create_app(settings(sharing_ledger_limit=2)))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        for _ in range(3):
            await lookup(client, "population", [CHEN])
        body = (await client.get("/_control/sharing/ledger")).json()
    assert [e["seq"] for e in body["lookups"]] == [2, 3] and body["dropped"] == 1


# On a real socket: a client's time-out, and the load tools


async def test_a_stalled_lookup_times_out_at_the_client_and_is_in_the_ledger() -> None:
    async with serving(create_app(settings())) as url:
        async with httpx.AsyncClient(base_url=url, timeout=0.2) as http:
            stall = {"timeout_rate": 1.0, "timeout_seconds": 0.5}
            await http.post("/_control/sharing/population", json=stall)
            with pytest.raises(httpx.ReadTimeout):
                await lookup(http, "population", [CHEN])
            await asyncio.sleep(0.5)  # let the stalled request finish before shutdown
            (entry,) = await ledger(http)
    assert entry["status"] == 200 and entry["stalled"] is True and entry["found"] == [CHEN]


async def test_the_load_tools_set_and_restore_the_registers_latency_too() -> None:
    async with serving(create_app(LegacySimSettings(smtp_port=0))) as url:
        legacy = LegacyControl(url)
        kept = await legacy.behaviours()
        assert {f"sharing/{d}" for d in DATASETS} <= set(kept)
        assert kept["sharing/population"]["latency_ms"] == 20
        await legacy.configure(ZERO_LATENCY)
        zero = await legacy.behaviours()
        assert all(zero[s]["latency_ms"] == 0 and zero[s]["jitter_ms"] == 0 for s in SYSTEMS)
        await legacy.restore(kept)
        assert await legacy.behaviours() == kept


# The catalog's examples are in the registers


def examples() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(EXAMPLES.glob("*.json")):
        yield path.stem, json.loads(path.read_text(encoding="utf-8"))


def people(value: Any) -> Iterator[dict[str, Any]]:
    """Every object naming a person by name and resident ID number, at any depth."""
    if isinstance(value, dict):
        if "name" in value and "id_number" in value:
            yield value
        for inner in value.values():
            yield from people(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from people(inner)


def companies(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "credit_code" in value:
            yield value
        for inner in value.values():
            yield from companies(inner)


async def test_every_person_of_the_examples_is_found_under_the_name_they_give(
    client: httpx.AsyncClient,
) -> None:
    claimed = {p["id_number"]: p["name"] for _, example in examples() for p in people(example)}
    assert len(claimed) == 7
    found = await records(client, "population", list(claimed))
    assert {r["key"]: r["record"]["name"] for r in found if r["found"]} == claimed
    married = await records(client, "marriage-registry", list(claimed))
    assert all(r["found"] for r in married)
    for r in married:
        if r["record"]["status"] == "married":
            assert claimed[r["record"]["spouse_id_number"]] == r["record"]["spouse_name"]


async def test_every_company_of_the_examples_is_found_active_under_its_name(
    client: httpx.AsyncClient,
) -> None:
    named = {c["credit_code"]: c["name"] for _, example in examples() for c in companies(example)}
    assert len(named) == 2
    found = await records(client, "business-registry", list(named))
    assert {r["key"]: r["record"]["name"] for r in found if r["found"]} == named
    assert {r["record"]["status"] for r in found} == {"active"}
    taxes = await records(client, "tax-filings", list(named))
    assert all(r["found"] and r["record"]["tax_status"] == "normal" for r in taxes)
    assert all(r["record"]["arrears"] == 0 for r in taxes)


async def test_the_flat_of_the_housing_transfer_is_the_transferors_and_under_contract(
    client: httpx.AsyncClient,
) -> None:
    form = dict(examples())["housing-transfer"]["form"]
    flat = form["property"]
    (held,) = await records(client, "property-register", [flat["certificate_number"]])
    assert held["record"]["address"] == flat["address"]
    assert held["record"]["area"] == flat["floor_area"]
    assert held["record"]["use"] == flat["usage"]
    parties = [{k: p[k] for k in ("name", "id_number", "share")} for p in form["transferors"]]
    assert held["record"]["owners"] == parties
    (contract,) = await records(client, "housing-contracts", [form["contract"]["number"]])
    assert contract["record"]["sellers"] == parties
    buyers = [{k: p[k] for k in ("name", "id_number", "share")} for p in form["transferees"]]
    assert contract["record"]["buyers"] == buyers
    assert contract["record"]["price"] == form["contract"]["price"]
    assert contract["record"]["signed_on"] == form["contract"]["signed_on"]


async def test_the_newborn_of_the_example_is_in_the_birth_medical_records(
    client: httpx.AsyncClient,
) -> None:
    form = dict(examples())["newborn"]["form"]
    (birth,) = await records(client, "birth-medical-record", [form["mother"]["id_number"]])
    assert birth["record"]["child_name"] == form["baby"]["name"]
    assert birth["record"]["birth_date"] == form["baby"]["birth_date"]
    assert birth["record"]["hospital"] == form["baby"]["birthplace"]
    assert birth["record"]["mother_name"] == form["mother"]["name"]
    assert birth["record"]["father_name"] == form["father"]["name"]
