"""intake's aftercare endpoints against a started intake (real PostgreSQL and broker): visits,
deficiency hand-ins, collection, evaluations and follow-ups, statistics access, validation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from contracts.events import ResultHeld, TimeLimitExceeded
from runtime.service import Service
from tests.integration.applications import (
    decide,
    example,
    filed,
    router_says,
    submit,
    to_applicant,
)
from tests.integration.in_process import Keyed


def soon(days: int = 5) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _errors(answer: httpx.Response) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    return [(e["field"], e["rule"]) for e in answer.json()["details"]["errors"]]


async def test_window_submission_and_pickup_are_two_visits(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    window, web = await keyed("window"), await keyed("web")
    url, app = await filed(http, window, example(collection="pickup"))
    view = (await http.get(url, headers=window)).json()
    assert (view["visits"], view["collection"], view["collected"]) == (1, "pickup", None)
    early = await http.post(f"{url}/collection", json={"method": "pickup"}, headers=window)
    assert early.status_code == 409 and early.json()["code"] == "not_decided"

    await decide(intake, app)
    view = (await http.get(url, headers=window)).json()
    assert view["outcome"]["working_days"] == 0.5 and view["outcome"]["on_time"] is True
    refused = await http.post(f"{url}/collection", json={"method": "pickup"}, headers=web)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert refused.json()["details"]["allowed_kinds"] == ["window", "clerk"]
    done = await http.post(f"{url}/collection", json={"method": "pickup"}, headers=window)
    assert done.status_code == 202, done.text
    again = await http.post(f"{url}/collection", json={"method": "express"}, headers=window)
    assert again.status_code == 409 and again.json()["code"] == "already_collected"
    view = (await http.get(url, headers=window)).json()
    assert view["visits"] == 2 and view["collected"]["method"] == "pickup"
    assert view["timeline"][-1]["event_type"] == "ResultCollected"
    async with intake.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT event_type, payload FROM events WHERE application_id = $1 ORDER BY position",
            app,
        )
    payloads = {r["event_type"]: json.loads(r["payload"]) for r in rows}
    assert payloads["ApplicationSubmitted"]["in_person"] is True
    assert payloads["ResultCollected"] == {"method": "pickup", "in_person": True}


async def test_web_filing_with_an_electronic_result_is_no_visit(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    web, clerk = await keyed("web"), await keyed("clerk")
    url, app = await filed(http, web, example())
    await decide(intake, app)
    view = (await http.get(url, headers=web)).json()
    assert (view["visits"], view["collection"], view["status"]) == (0, "electronic", "approved")
    refused = await http.post(f"{url}/collection", json={"method": "pickup"}, headers=clerk)
    assert refused.status_code == 409 and refused.json()["code"] == "not_collectable"
    # express counts no visit, also when recorded at a counter
    url, app = await filed(http, web, example(collection="express"))
    await decide(intake, app)
    sent = await http.post(f"{url}/collection", json={"method": "express"}, headers=clerk)
    assert sent.status_code == 202, sent.text
    assert (await http.get(url, headers=web)).json()["visits"] == 0


async def test_rejected_result_is_not_collected(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    window = await keyed("window")
    url, app = await filed(http, window, example(collection="pickup"))
    await decide(intake, app, "rejected")
    refused = await http.post(f"{url}/collection", json={"method": "pickup"}, headers=window)
    assert refused.status_code == 409 and refused.json()["details"]["decision"] == "rejected"


async def test_deferred_materials_are_owed_held_for_and_handed_in(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    web, clerk = await keyed("web"), await keyed("clerk")
    body = example(
        materials=["premises-proof"],
        deferred_materials=["employee-list"],
        materials_promised_by=soon(),
    )
    url, app = await filed(http, web, body)
    view = (await http.get(url, headers=web)).json()
    assert view["deferred"] == {
        "materials": ["employee-list"],
        "promised_by": soon(),
        "handed_in": [],
        "owed": ["employee-list"],
    }
    await router_says(intake, app, ResultHeld(
        **to_applicant(), missing=("employee-list",), promised_by=date.fromisoformat(soon()),
    ))  # fmt: skip
    view = (await http.get(url, headers=web)).json()
    assert view["status"] == "result_held" and view["held"]["missing"] == ["employee-list"]

    wrong = await http.post(
        f"{url}/materials", json={"materials": ["premises-proof", "employee-list"]}, headers=web
    )
    assert _errors(wrong) == [("materials.0", "not_owed")]
    assert _errors(await http.post(f"{url}/materials", json={"materials": []}, headers=web)) == [
        ("materials", "too_short")
    ]
    # the web client cannot see it at a counter, but a clerk hands it in for the applicant
    handed = await http.post(
        f"{url}/materials", json={"materials": ["employee-list"]}, headers=clerk
    )
    assert handed.status_code == 202, handed.text
    again = await http.post(f"{url}/materials", json={"materials": ["employee-list"]}, headers=web)
    assert again.status_code == 409 and again.json()["code"] == "nothing_owed"
    view = (await http.get(url, headers=web)).json()
    assert view["deferred"]["owed"] == [] and view["deferred"]["handed_in"] == ["employee-list"]
    assert view["visits"] == 1  # the hand-in at the counter
    await decide(intake, app)
    view = (await http.get(url, headers=web)).json()
    assert view["status"] == "approved" and view["held"] is None

    url, _ = await filed(http, web, example())
    nothing = await http.post(
        f"{url}/materials", json={"materials": ["employee-list"]}, headers=web
    )
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_owed"


async def test_new_submission_fields_are_validated(http: httpx.AsyncClient, keyed: Keyed) -> None:
    web = await keyed("web")
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"deferred_materials": ["employee-list"]}, [("materials_promised_by", "missing")]),
        ({"materials_promised_by": soon()}, [("materials_promised_by", "unexpected")]),
        ({"deferred_materials": ["employee-list"], "materials_promised_by": str(date.today())},
         [("materials_promised_by", "not_future")]),
        ({"deferred_materials": ["employee-list"], "materials_promised_by": "2031-01-06"},
         [("materials_promised_by", "outside_calendar")]),
        ({"deferred_materials": ["employee-list", "articles", "tea", "employee-list"],
          "materials_promised_by": soon()},
         [("deferred_materials.1", "not_applicant_material"),
          ("deferred_materials.2", "unknown_material"), ("deferred_materials.3", "duplicate")]),
        ({"materials": ["employee-list"], "deferred_materials": ["employee-list"],
          "materials_promised_by": soon()}, [("deferred_materials.0", "also_handed_in")]),
        ({"collection": "drone"}, [("collection", "literal_error")]),
        ({"materials_promised_by": "next week"},
         [("materials_promised_by", "date_from_datetime_parsing")]),
    ]  # fmt: skip
    for changes, expected in cases:
        assert _errors(await submit(http, web, example(**changes))) == expected, changes
    key_material = example(
        "equity-transfer", deferred_materials=["equity-agreement"], materials_promised_by=soon()
    )
    assert _errors(await submit(http, web, key_material)) == [
        ("deferred_materials.0", "key_material")
    ]


async def test_a_low_rating_opens_a_follow_up_a_clerk_closes(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    web, clerk, window = await keyed("web"), await keyed("clerk"), await keyed("window")
    url, app = await filed(http, web, example())
    rating = {"rating": 2, "comment": "等了很久"}
    early = await http.post(f"{url}/evaluation", json=rating, headers=web)
    assert early.status_code == 409 and early.json()["code"] == "not_decided"
    await decide(intake, app, "rejected")
    bad = await http.post(f"{url}/evaluation", json={"rating": 6}, headers=web)
    assert _errors(bad) == [("rating", "less_than_equal")]
    assert _errors(await http.post(f"{url}/evaluation", json={"rating": "2"}, headers=web)) == [
        ("rating", "int_type")
    ]
    assert (await http.post(f"{url}/evaluation", json=rating, headers=web)).status_code == 202
    again = await http.post(f"{url}/evaluation", json={"rating": 5}, headers=web)
    assert again.status_code == 409 and again.json()["code"] == "already_evaluated"

    view = (await http.get(url, headers=web)).json()
    assert view["evaluation"]["rating"] == 2 and view["evaluation"]["comment"] == "等了很久"
    (case,) = view["follow_ups"]
    assert (case["case_id"], case["state"], case["time_limit_days"]) == (f"FU-{app}", "open", 15)
    assert [t["event_type"] for t in view["timeline"]][-2:] == [
        "ApplicationEvaluated",
        "FollowUpOpened",
    ]

    async def listed(state: str) -> list[str]:
        answer = await http.get("/v1/follow-ups", params={"state": state}, headers=clerk)
        assert answer.status_code == 200, answer.text
        return [c["case_id"] for c in answer.json()["items"]]

    assert case["case_id"] in await listed("open")
    for who in (web, window):
        refused = await http.get("/v1/follow-ups", headers=who)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert (await http.get("/v1/follow-ups?state=lost", headers=clerk)).status_code == 400

    await router_says(intake, app, TimeLimitExceeded(
        clock="follow-up", clock_id=case["case_id"], limit="own", limit_days=4,
        started_at=datetime.now(UTC), due_at=datetime.now(UTC),
    ))  # fmt: skip
    assert case["case_id"] in await listed("overdue")
    assert case["case_id"] not in await listed("open")
    clocks = (await http.get(url, headers=web)).json()["clocks"]
    assert [(c["clock"], c["warned_at"], c["exceeded_at"] is not None) for c in clocks] == [
        ("follow-up", None, True)
    ]

    close = f"/v1/follow-ups/{case['case_id']}/close"
    answer = {"response": "已电话回访并说明办理时限"}
    assert (await http.post(close, json=answer, headers=web)).status_code == 403
    assert _errors(await http.post(close, json={"response": ""}, headers=clerk)) == [
        ("response", "string_too_short")
    ]
    closed = await http.post(close, json=answer, headers=clerk)
    assert closed.status_code == 202 and closed.json()["application_id"] == str(app)
    twice = await http.post(close, json=answer, headers=clerk)
    assert twice.status_code == 409 and twice.json()["code"] == "follow_up_closed"
    missing = await http.post("/v1/follow-ups/FU-nothing/close", json=answer, headers=clerk)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert case["case_id"] in await listed("closed")
    (case,) = (await http.get(url, headers=web)).json()["follow_ups"]
    assert (case["state"], case["response"]) == ("closed", answer["response"])
    assert case["clerk"].startswith("clerk-")


async def test_a_good_rating_opens_nothing(
    http: httpx.AsyncClient, intake: Service, keyed: Keyed
) -> None:
    web = await keyed("web")
    url, app = await filed(http, web, example())
    await decide(intake, app)
    answer = await http.post(f"{url}/evaluation", json={"rating": 3}, headers=web)
    assert answer.status_code == 202
    view = (await http.get(url, headers=web)).json()
    assert view["evaluation"]["rating"] == 3 and view["follow_ups"] == []


async def test_statistics_are_for_clerks_and_check_their_parameters(
    http: httpx.AsyncClient, keyed: Keyed
) -> None:
    clerk, web = await keyed("clerk"), await keyed("web")
    period = {"from": "2026-03-01", "to": "2026-03-31"}
    answer = await http.get("/v1/stats", params=period, headers=clerk)
    assert answer.status_code == 200, answer.text
    assert answer.json()["overall"]["volume"] == 0 and answer.json()["zone"] == "Asia/Shanghai"
    refused = await http.get("/v1/stats", params=period, headers=web)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert (await http.get("/v1/stats", params=period)).status_code == 401
    for bad, field in (
        ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({"from": "March", "to": "2026-03-01"}, "from"),
        ({"to": "2026-03-01"}, "from"),
        ({**period, "matter": "open-a-bar"}, "matter"),
    ):
        wrong = await http.get("/v1/stats", params=bad, headers=clerk)
        assert wrong.status_code == 400 and wrong.json()["code"] == "bad_request", bad
        body = wrong.json()["details"]
        assert body.get("field") == field or body["errors"][0]["field"] == field, body
