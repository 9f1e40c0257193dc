"""Time limits end to end on a fake clock (ONEWINDOW_CLOCK_FILE, read by every service): an
application held up at one department crosses 80 % and 100 % of its limits, the router is
restarted in between, and each warning and overdue is raised exactly once and reaches the
supervision channel (电子监察) and the department."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml

from onewindow.applicant import Applicant, application_body
from onewindow.embedded.ports import free_port
from onewindow.stack import LOCAL_PARTS, Stack
from runtime.clock import FileClock
from tests.e2e.conftest import DEPARTMENTS_FILE, FAST, eventually

pytestmark = pytest.mark.e2e
SUBMITTED = datetime.fromisoformat("2026-12-01T10:00:00+08:00")  # a Tuesday, before the cut-off


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("timed")
    FileClock(root / "clock").set(SUBMITTED)
    departments = yaml.safe_load(DEPARTMENTS_FILE.read_text(encoding="utf-8"))
    (root / "departments.yaml").write_text(yaml.safe_dump(departments), encoding="utf-8")
    running = Stack(
        root=root,
        database_url=stack.database_url,
        kafka=stack.kafka,
        ports={name: free_port() for name in LOCAL_PARTS},
    )
    env = {
        **FAST,
        "ONEWINDOW_CLOCK_FILE": str(root / "clock"),
        "ONEWINDOW_CLOCK_TICK_SECONDS": "0.3",
        # hrss decides only after ten minutes: the application stays with hrss
        "ONEWINDOW_LEGACY_SIM_DEPARTMENTS__HRSS__PROCESSING_DELAY_MS": "600000",
    }
    running.start_services(env)
    try:
        running.wait_ready(timeout=120)
        running.env = env  # type: ignore[attr-defined]
        yield running
    finally:
        running.stop_services()


async def clock_events(stack: Stack, application_id: str) -> Counter[tuple[str, ...]]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT event_type, payload FROM router.events WHERE application_id = $1"
            " AND event_type IN ('TimeLimitWarned', 'TimeLimitExceeded')",
            application_id,
        )
    finally:
        await conn.close()
    found: Counter[tuple[str, ...]] = Counter()
    for row in rows:
        payload = json.loads(row["payload"])
        found[row["event_type"], payload["clock"], payload["clock_id"], payload["limit"]] += 1
    return found


async def test_warnings_and_overdues_are_raised_once_across_a_router_restart(
    services: Stack, tmp_path: Path
) -> None:
    clock = FileClock(services.root / "clock")
    (key,) = (await _keys(services)).values()
    web = Applicant(services.url("intake"), key)
    mail = {"channel": "email", "address": "timed@applicant.example.cn"}
    response = await web.submit(application_body("business-startup", mail))
    assert response.status_code == 202, response.text
    application_id = response.json()["application_id"]

    async def held_by_hrss() -> bool:
        state = await web.application(application_id)
        statuses = {s["department"]: s["status"] for s in state["subtasks"]}
        return statuses.get("hrss") == "accepted" and statuses.get("amr") == "completed"

    await eventually(held_by_hrss)
    assert await clock_events(services, application_id) == Counter()

    # promised: 1 working day, due at the end of Wednesday; 80 % is Wednesday 19:12
    clock.set(datetime.fromisoformat("2026-12-02T20:00:00+08:00"))
    warned = {
        ("TimeLimitWarned", "application", "application", "promised"),
        ("TimeLimitWarned", "subtask", "hrss-social-insurance", "own"),
    }

    async def warnings() -> Counter[tuple[str, ...]] | None:
        found = await clock_events(services, application_id)
        return found if warned <= set(found) else None

    await eventually(warnings, timeout=30)

    assert services.stop_service("router")
    services.start_service("router", services.env)  # type: ignore[attr-defined]
    services.wait_ready(timeout=60)

    clock.set(datetime.fromisoformat("2026-12-03T01:00:00+08:00"))
    exceeded = {
        ("TimeLimitExceeded", "application", "application", "promised"),
        ("TimeLimitExceeded", "subtask", "hrss-social-insurance", "own"),
    }

    async def overdues() -> Counter[tuple[str, ...]] | None:
        found = await clock_events(services, application_id)
        return found if exceeded <= set(found) else None

    found = await eventually(overdues, timeout=30)
    for mark in warned | exceeded:
        assert found[mark] == 1, mark
    assert all(count == 1 for count in found.values()), found

    async with httpx.AsyncClient(base_url=services.url("legacy_sim")) as legacy:

        async def overdue_mail_to(who: str) -> bool:
            mails = (await legacy.get("/_control/mail")).json()
            return any(who in str(m["to"]) for m in mails if "超期" in m["subject"])

        await eventually(lambda: overdue_mail_to("supervision"), timeout=30)  # 电子监察
        await eventually(lambda: overdue_mail_to("hrss"), timeout=30)  # the department holding it


async def _keys(services: Stack) -> dict[str, str]:
    from onewindow.applicant import issue_keys

    return await issue_keys(services.database_url, {"web": "web"})
