"""Hostile input against a started intake (real PostgreSQL and broker): every refusal is a
4xx naming what is wrong, never a 500 and never a silent change. Deep nesting, NUL and lone
surrogates wherever text arrives, numbers JSON readers disagree on, dates at the edges of
time, garbage headers; 405 with Allow; who may evaluate an application."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from contracts.values import MAX_DEPTH
from runtime.service import Service
from tests.integration.applications import decide, example, filed, submit
from tests.integration.in_process import Keyed

JSON = {"Content-Type": "application/json"}
NUL, SURROGATE = "\x00", "\ud800"


def raw(value: Any) -> bytes:
    """JSON with NUL and lone surrogates as \\u escapes, as a hostile client sends them."""
    return json.dumps(value, ensure_ascii=True).encode()


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def refused(answer: httpx.Response, status: int, field: str, rule: str) -> None:
    assert answer.status_code == status, answer.text
    errors = answer.json()["details"]["errors"]
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in errors
    ], errors


async def post(
    http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await http.post(url, content=body, headers=headers | JSON)


def submission_headers(headers: dict[str, Any]) -> dict[str, Any]:
    return headers | {"Idempotency-Key": str(uuid4())}


async def decided(http: httpx.AsyncClient, intake: Service, web: dict[str, str]) -> str:
    url, app = await filed(http, web, example())
    await decide(intake, app)
    return url


# --- nesting: one limit where bodies are parsed, for every body ---


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000])
async def test_deeply_nested_bodies_are_refused_naming_the_limit(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed, depth: int
) -> None:
    web = await keyed("web")
    url = await decided(http, intake, web)
    bodies = {
        "/v1/applications": nested(depth),
        "/v1/applications#form": example(form={"company": nested(depth)}),
        "/v1/applications#materials": example(materials=nested(depth)),
        f"{url}/supplements": {"notice_id": "S1", "form": {"a": nested(depth)}},
        f"{url}/evaluation": {"rating": 5, "comment": nested(depth)},
    }
    for target, body in bodies.items():
        text = json.dumps(body) if depth < 500 else _deep_text(body, depth)
        answer = await post(http, target.split("#")[0], text.encode(), submission_headers(web))
        assert answer.status_code == 400, (target, answer.text)
        problem = answer.json()
        assert problem["code"] == "too_deeply_nested", problem
        assert problem["details"]["max_depth"] == MAX_DEPTH
        assert str(MAX_DEPTH) in problem["message"]
    assert (await http.get(url, headers=web)).json()["evaluation"] is None  # nothing recorded


def _deep_text(body: Any, depth: int) -> str:
    """json.dumps recurses too: write the deep part by hand."""
    marker = "__DEEP__"
    shallow = json.dumps(_replace_deep(body, depth, marker))
    return shallow.replace(f'"{marker}"', "[" * depth + '"deep"' + "]" * depth)


def _replace_deep(value: Any, depth: int, marker: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace_deep(v, depth, marker) for k, v in value.items()}
    if isinstance(value, list):
        return marker  # the only lists in these bodies are the nested ones
    return value


async def test_nesting_within_the_limit_is_read(http: httpx.AsyncClient, keyed: Keyed) -> None:
    web = await keyed("web")
    answer = await submit(http, web, example(form={"company": nested(MAX_DEPTH - 2)}))
    refused(answer, 422, "form.company", "type")  # read, then judged by the form's schema


# --- NUL and lone surrogates: body strings and keys, query, path, headers ---


@pytest.mark.parametrize(("bad", "rule"), [(NUL, "nul_character"), (SURROGATE, "lone_surrogate")])
async def test_unstorable_text_in_a_body_is_refused_naming_the_field(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed, bad: str, rule: str
) -> None:
    web, clerk = await keyed("web"), await keyed("clerk")
    url = await decided(http, intake, web)
    name = example()
    name["applicant"]["name"] = f"陈{bad}思远"
    form = example()
    form["form"]["company"]["name"] = f"杭州{bad}"
    key = example()
    key["form"][f"x{bad}"] = 1
    for body, field in (
        (name, "applicant.name"),
        (form, "form.company.name"),
        (key, f"form.x\\u{ord(bad):04x}"),
        (example(materials=["premises-proof", bad]), "materials.1"),
    ):
        refused(await post(http, "/v1/applications", raw(body), submission_headers(web)),
                422, field, rule)  # fmt: skip
    for target, body, field in (
        (f"{url}/withdraw", {"reason": bad}, "reason"),
        (f"{url}/supplements", {"notice_id": f"S{bad}"}, "notice_id"),
        (f"{url}/materials", {"materials": [bad]}, "materials.0"),
        (f"{url}/evaluation", {"rating": 1, "comment": f"慢{bad}"}, "comment"),
        (f"/v1/follow-ups/FU-{uuid4()}/close", {"response": bad}, "response"),
    ):
        who = clerk if "follow-ups" in target else web
        refused(await post(http, target, raw(body), who), 422, field, rule)
    view = (await http.get(url, headers=web)).json()
    assert view["evaluation"] is None and view["status"] == "approved"  # nothing half-applied


async def test_unstorable_text_in_query_path_and_headers_is_refused_naming_it(
    http: httpx.AsyncClient, keyed: Keyed
) -> None:
    web, clerk = await keyed("web"), await keyed("clerk")
    for url, who, field in (
        ("/v1/applications?matter=%00", web, "matter"),
        ("/v1/applications?x%00=1", web, "x\\u0000"),
        ("/v1/stats?from=2026-01-01&to=2026-01-02&matter=a%00", clerk, "matter"),
        ("/v1/follow-ups?state=%00", clerk, "state"),
        ("/v1/matters/a%00b", {}, "code"),
        (f"/v1/applications/{uuid4()}%00", web, "application_id"),
    ):
        refused(await http.get(url, headers=who), 400, field, "nul_character")
    close = await post(http, "/v1/follow-ups/FU-%00/close", raw({"response": "ok"}), clerk)
    refused(close, 400, "case_id", "nul_character")
    key = submission_headers(web) | {"Idempotency-Key": "k\x00"}
    refused(await submit_raw(http, key), 400, "idempotency-key", "nul_character")


async def submit_raw(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await post(http, "/v1/applications", raw(example()), headers)


async def test_garbage_headers_get_4xx(http: httpx.AsyncClient, keyed: Keyed) -> None:
    web = await keyed("web")
    latin1 = "Bearer ÿþ".encode("latin-1")
    for authorization in ("Bearer", "Bearer \x00", "Bearer " + "x" * 10_000, latin1,
                          "ow_nope", "Basic Og==", "Bearer  "):  # fmt: skip
        answer = await http.get("/v1/applications", headers={"Authorization": authorization})
        assert answer.status_code == 401, (authorization[:20], answer.text)
    long_key = submission_headers(web) | {"Idempotency-Key": "k" * 201}
    refused(await submit_raw(http, long_key), 400, "Idempotency-Key", "string_too_long")
    latin = submission_headers(web) | {"Idempotency-Key": "clé-ÿ".encode("latin-1")}
    assert (await submit_raw(http, latin)).status_code == 202
    for media in ("application/json; charset=utf-8; boundary=x", "application/json;;",
                  "Application/JSON; q=0.5"):  # fmt: skip
        answer = await post_as(http, web, media)
        assert answer.status_code == 202, (media, answer.text)
    for media in ("", "application/jsonx", "text/json", "application/json\x00"):
        answer = await post_as(http, web, media)
        assert answer.status_code in (400, 415), (media, answer.text)
    for length in ("9" * 5000, "²".encode("latin-1"), "-1", "1e3"):
        answer = await post(http, "/v1/applications", raw(example()),
                            submission_headers(web) | {"Content-Length": length})  # fmt: skip
        assert answer.status_code == 413, (length, answer.text)
    not_utf8 = await post(http, "/v1/applications", b'{"matter": "\xff"}', submission_headers(web))
    assert not_utf8.status_code == 400 and not_utf8.json()["code"] == "malformed_json"


async def post_as(http: httpx.AsyncClient, web: dict[str, Any], media: str) -> httpx.Response:
    headers = submission_headers(web) | {"Content-Type": media}
    return await http.post("/v1/applications", content=raw(example()), headers=headers)


async def test_limits_offsets_and_uuid_forms(http: httpx.AsyncClient, keyed: Keyed) -> None:
    web = await keyed("web")
    accepted = (await submit(http, web, example())).json()
    app = UUID(accepted["application_id"])
    for form in (str(app).upper(), app.hex, f"{{{app}}}", f"urn:uuid:{app}"):
        answer = await http.get(f"/v1/applications/{form}", headers=web)
        assert answer.status_code in (200, 404), (form, answer.text)
    assert (await http.get(f"/v1/applications/{str(app).upper()}", headers=web)).status_code == 200
    for bad in ("x", "1" * 40, "-1", "0" * 33):
        answer = await http.get(f"/v1/applications/{bad}", headers=web)
        assert answer.status_code == 404, (bad, answer.text)
    for query, field in (
        ("limit=0", "limit"), ("limit=201", "limit"), ("limit=4.0", "limit"),
        ("limit=%2B4", "limit"), ("limit=4_0", "limit"), ("limit=" + "9" * 5000, "limit"),
        ("offset=-1", "offset"), ("offset=1000001", "offset"), ("offset=", "offset"),
    ):  # fmt: skip
        answer = await http.get(f"/v1/applications?{query}", headers=web)
        assert answer.status_code == 400, (query, answer.text)
        assert answer.json()["details"]["errors"][0]["field"] == field
    last = await http.get("/v1/applications?limit=200&offset=1000000", headers=web)
    assert last.status_code == 200 and last.json()["items"] == []


# --- dates at the edges of time ---


async def test_periods_at_the_edges_of_time_answer_or_name_the_parameter(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    web, clerk = await keyed("web"), await keyed("clerk")
    assert (await submit(http, web, example())).status_code == 202

    async def total(**query: str) -> int:
        answer = await http.get("/v1/applications", params=query, headers=web)
        assert answer.status_code == 200, (query, answer.text)
        return int(answer.json()["total"])

    assert await total(submitted_to="9999-12-31") == 1
    assert await total(submitted_from="0001-01-01", submitted_to="9999-12-31") == 1
    assert await total(submitted_from="0001-01-01T00:00:00+08:00") == 1
    assert await total(submitted_to="9999-12-31T23:59:59-05:00") == 1
    assert await total(submitted_from="9999-12-31T23:59:59-05:00") == 0
    assert await total(submitted_to="0001-01-01T00:00:00+08:00") == 0
    for query in (
        {"submitted_to": "2026-01-01T00:00:00"},
        {"submitted_from": "10000-01-01"},
        {"submitted_from": "2026-02-30"},
        {"submitted_to": "2016-12-31T23:59:60Z"},
    ):
        answer = await http.get("/v1/applications", params=query, headers=web)
        assert answer.status_code == 400, (query, answer.text)
        assert answer.json()["details"]["field"] in query

    for first, last in (("2026-01-01", "9999-12-31"), ("0001-01-01", "0001-01-01"),
                        ("0001-01-01", "9999-12-31"), ("9999-12-31", "9999-12-31")):  # fmt: skip
        answer = await http.get("/v1/stats", params={"from": first, "to": last}, headers=clerk)
        assert answer.status_code == 200, (first, last, answer.text)
        assert answer.json()["date_to"] == last
    for query, field in (
        ({"from": "0000-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "2026-01-01", "to": "1700000000"}, "to"),
        ({"from": "2026-01-01T00:00:00", "to": "2026-01-02"}, "from"),
    ):
        answer = await http.get("/v1/stats", params=query, headers=clerk)
        refused(answer, 400, field, "date_parsing")


async def test_a_promised_date_at_the_edge_of_time_is_named(
    http: httpx.AsyncClient, keyed: Keyed
) -> None:
    web = await keyed("web")
    for day, rule in (("9999-12-31", "outside_calendar"), ("0001-01-01", "not_future")):
        body = example(deferred_materials=["employee-list"], materials_promised_by=day)
        body["materials"] = [m for m in body.get("materials", []) if m != "employee-list"]
        refused(await submit(http, web, body), 422, "materials_promised_by", rule)
    body = example(deferred_materials=["employee-list"], materials_promised_by="10000-01-01")
    refused(
        await submit(http, web, body), 422, "materials_promised_by", "date_from_datetime_parsing"
    )


# --- numbers every JSON reader holds alike ---


async def test_numbers_past_what_json_readers_agree_on_are_refused(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    web = await keyed("web")
    text = raw(example()).replace(b'"registered_capital": 100', b'"registered_capital": 1e400')
    assert b"1e400" in text
    refused(await post(http, "/v1/applications", text, submission_headers(web)),
            422, "form.company.registered_capital", "finite_number")  # fmt: skip
    huge = example()
    huge["form"]["company"]["employees"] = 10**400
    refused(await post(http, "/v1/applications", raw(huge), submission_headers(web)),
            422, "form.company.employees", "safe_integer")  # fmt: skip
    over = example()
    over["form"]["company"]["registered_capital"] = 2**53
    refused(await submit(http, web, over), 422, "form.company.registered_capital", "safe_integer")
    literal = raw(example()).replace(b'"employees": 8', b'"employees": ' + b"9" * 5000)
    long = await post(http, "/v1/applications", literal, submission_headers(web))
    assert long.status_code == 400 and long.json()["code"] == "malformed_json"
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        text = raw(example()).replace(
            b'"registered_capital": 100', b'"registered_capital": ' + constant
        )
        nan = await post(http, "/v1/applications", text, submission_headers(web))
        assert nan.status_code == 400 and nan.json()["code"] == "malformed_json"
    url = await decided(http, intake, web)
    refused(await post(http, f"{url}/evaluation", b'{"rating": 1e400}', web),
            422, "rating", "finite_number")  # fmt: skip


async def test_a_rating_is_any_integral_json_number(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    web = await keyed("web")
    url = await decided(http, intake, web)
    for bad in (b"4.5", b'"4"', b"true", b"4e0.5"):
        answer = await post(http, f"{url}/evaluation", b'{"rating": ' + bad + b"}", web)
        assert answer.status_code in (400, 422), (bad, answer.text)
        if answer.status_code == 422:
            refused(answer, 422, "rating", "int_type")
    assert (await post(http, f"{url}/evaluation", b'{"rating": 4.0}', web)).status_code == 202
    assert (await http.get(url, headers=web)).json()["evaluation"]["rating"] == 4


# --- 405 says what is allowed ---


async def test_a_wrong_method_answers_405_with_allow(http: httpx.AsyncClient, keyed: Keyed) -> None:
    web = await keyed("web")
    for method, path, allowed in (
        ("DELETE", "/v1/applications", "GET, POST"),
        ("PUT", f"/v1/applications/{uuid4()}", "GET"),
        ("GET", f"/v1/applications/{uuid4()}/withdraw", "POST"),
        ("PATCH", "/v1/matters", "GET"),
        ("HEAD", "/v1/stats", "GET"),
        ("TRACE", "/v1/follow-ups/FU-1/close", "POST"),
    ):
        answer = await http.request(method, path, headers=web)
        assert answer.status_code == 405, (method, path, answer.text)
        assert answer.headers["allow"] == allowed
        if method != "HEAD":
            assert answer.json()["details"]["allowed_methods"] == allowed.split(", ")
    assert (await http.delete("/v1/nothing", headers=web)).status_code == 404


# --- the evaluation is the applicant's voice ---


async def test_only_the_filing_client_evaluates_and_a_clerk_records_marked(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    web, clerk = await keyed("web"), await keyed("clerk")
    url = await decided(http, intake, web)
    for other in ("web", "mobile", "kiosk", "window"):
        answer = await post(http, f"{url}/evaluation", b'{"rating": 1}', await keyed(other))
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", other

    async def satisfaction() -> tuple[int, int, float | None]:
        period = {"from": "2000-01-01", "to": "9999-12-31"}
        figures = (await http.get("/v1/stats", params=period, headers=clerk)).json()["overall"]
        return figures["rated"], figures["rated_by_clerk"], figures["satisfaction_rate"]

    before = await satisfaction()
    recorded = await post(http, f"{url}/evaluation", raw({"rating": 1, "comment": "太慢"}), clerk)
    assert recorded.status_code == 202, recorded.text
    view = (await http.get(url, headers=web)).json()
    assert (view["evaluation"]["rating"], view["evaluation"]["recorded_by"]) == (1, "clerk")
    (case,) = view["follow_ups"]  # the applicant said so in person: followed up, marked
    assert (case["rating"], case["recorded_by"]) == (1, "clerk")
    assert "recorded by a clerk" in view["timeline"][-2]["summary"]
    again = await post(http, f"{url}/evaluation", b'{"rating": 5}', web)
    assert again.status_code == 409 and again.json()["code"] == "already_evaluated"
    rated, by_clerk, rate = await satisfaction()
    assert (rated, by_clerk, rate) == (before[0], before[1] + 1, before[2])  # not the applicant's

    own_url = await decided(http, intake, web)
    assert (await post(http, f"{own_url}/evaluation", b'{"rating": 5}', web)).status_code == 202
    own = (await http.get(own_url, headers=web)).json()["evaluation"]
    assert own["recorded_by"] == "applicant"
    assert (await satisfaction())[:2] == (rated + 1, by_clerk)
