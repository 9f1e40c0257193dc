"""The ops console (/ops) in a real browser: headless Chromium (Debian's package) driven by
playwright-core, against intake and dept_adapter serving HTTP in-process on the real
PostgreSQL and broker. The logs of router, dept_adapter and notifier are schemas of this
test's own, written as those services would; intake's read model is rebuilt from all four."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from contracts.catalog import EXAMPLES_DIR, load_catalog
from eventlog.migrate import migrate_async
from eventlog.store import StreamAppend, append_streams
from onewindow.embedded.ports import free_port
from onewindow.serving import serving
from runtime.clock import FileClock
from runtime.service import Service
from services.dept_adapter.bootstrap import DeptAdapterSettings
from services.dept_adapter.bootstrap import build as build_adapter
from services.intake.adapters import issue_api_key
from services.intake.adapters.rebuild import rebuild_read_model
from services.intake.bootstrap import IntakeSettings, build
from services.intake.domain.ops.views import age, trace_id
from services.intake.entrypoints.ops.html import when
from services.intake.entrypoints.ops.routes import ops_routes
from tests.integration.browser import ensure_browser, run_script
from tests.integration.in_process import running
from tests.integration.ops_story import AMR_RECEIPT, NOW, H, S, Story, half_way

PASSWORD = "ops-" + uuid4().hex
LOGS = ("intake", "router", "dept_adapter", "notifier")


@dataclass(frozen=True)
class Console:
    url: str
    adapter_url: str
    intake: Service
    settings: IntakeSettings
    story: Story
    receipt: str
    withdrawn: UUID
    now: datetime
    schemas: dict[str, str]


@pytest.fixture(scope="module")
async def browser() -> dict[str, float]:
    return await asyncio.to_thread(ensure_browser)


@pytest.fixture(scope="module")
async def console(stack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Console]:  # type: ignore[no-untyped-def]
    prefix = "t_ops_" + uuid4().hex[:8]
    schemas = {log: f"{prefix}_{log}" for log in LOGS}
    for log in LOGS[1:]:
        await migrate_async(stack.database_url, schemas[log])
    clock = FileClock(tmp_path_factory.mktemp("ops") / "clock")
    t0 = datetime.now(UTC).replace(microsecond=0) - NOW - H
    clock.set(t0)
    common: dict[str, Any] = {
        "database_url": stack.database_url,
        "kafka_bootstrap_servers": stack.kafka,
        "startup_timeout_seconds": 60,
    }
    adapter_port = free_port()
    adapter_url = f"http://127.0.0.1:{adapter_port}"
    settings = IntakeSettings(
        **common,
        ops_password=PASSWORD,
        adapter_url=adapter_url,
        log_schemas=tuple(schemas.values()),
        clock_file=clock.path,
    )
    # Fed from the logs by a rebuild, not from Kafka: the topics hold other tests' events.
    intake = replace(build(settings, schema=schemas["intake"]), consumers=())
    adapter = replace(
        build_adapter(DeptAdapterSettings(**common)), name=f"{prefix}_adapter_live", consumers=()
    )
    async with AsyncExitStack() as opened:
        await opened.enter_async_context(running(adapter))
        await opened.enter_async_context(serving(adapter.asgi(), adapter_port, lifespan="off"))
        await opened.enter_async_context(running(intake))
        url = await opened.enter_async_context(serving(intake.asgi(), lifespan="off"))
        receipt, app, withdrawn = await _file(url, intake, clock, t0)
        story = half_way(app, t0)
        await _record(intake.pool, schemas, story)
        async with intake.pool.acquire() as conn:
            await rebuild_read_model(conn, list(schemas.values()))
        clock.set(t0 + NOW)
        yield Console(
            url, adapter_url, intake, settings, story, receipt, withdrawn, t0 + NOW, schemas
        )


async def _file(
    url: str, intake: Service, clock: FileClock, t0: datetime
) -> tuple[str, UUID, UUID]:
    """Through the API as a clerk: one application in flight, one withdrawn."""
    key = await issue_api_key(intake.pool, f"ops-clerk-{uuid4().hex[:6]}", "clerk")
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as http:
        accepted = []
        for matter in ("business-startup", "newborn"):
            body = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text(encoding="utf-8"))
            body["delivery"] = {"channel": "email", "address": "chen@example.cn"}
            answer = await http.post(
                "/v1/applications", json=body, headers={"Idempotency-Key": str(uuid4())}
            )
            assert answer.status_code == 202, answer.text
            accepted.append(answer.json())
            clock.set(t0 + H)
        gone = accepted[1]["application_id"]
        answer = await http.post(
            f"/v1/applications/{gone}/withdraw", json={"reason": "<b>不再需要</b>"}
        )
        assert answer.status_code == 202, answer.text
    first = accepted[0]
    return first["receipt_number"], UUID(first["application_id"]), UUID(gone)


async def _record(pool: asyncpg.Pool, schemas: dict[str, str], story: Story) -> None:
    async with pool.acquire() as conn:
        for log, stream, envelope in story.logged:
            async with conn.transaction():
                await conn.execute(f'SET LOCAL search_path TO "{schemas[log]}"')
                version = await conn.fetchval(
                    "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream
                )
                await append_streams(conn, [StreamAppend(stream, version, [envelope])])


async def test_ops_console_in_a_real_browser(browser: dict[str, float], console: Console) -> None:
    for part, seconds in browser.items():
        print(f"installed {part} in {seconds:.1f} s")
    seen = await run_script(
        "ops_console.mjs",
        {"OPS_URL": console.url, "OPS_PASSWORD": PASSWORD, "OPS_RECEIPT": console.receipt},
    )
    overview, application = seen["overview"], seen["application"]
    t0, now, story = console.now - NOW, console.now, console.story
    assert overview["status"] == 200 and overview["title"].startswith("In flight")

    [row] = overview["in-flight"]  # the withdrawn one is not in flight
    assert row[:5] == [console.receipt, "business-startup", "in_progress", when(t0), "1 d 6 h"]
    assert row[5].splitlines() == [
        "amr · amr-licence: completed",
        "psb · psb-seal: completed",
        "tax · tax-invoice: accepted · due " + when(t0 + 34 * H),
        "hrss · hrss-social-insurance: completed",
        "hpf · hpf-provident-fund: dispatched · due " + when(t0 + 26 * H),
    ]
    assert row[6] == when(t0 + 26 * H)

    dispatched = t0 + 2 * H + 10 * S
    alerts = [
        [
            "overdue",
            "subtask hpf-provident-fund (own)",
            "hpf",
            when(dispatched),
            age(dispatched, now),
            when(t0 + 21 * H),
            when(t0 + 26 * H),
            when(t0 + 26 * H),
        ],
        [
            "warning",
            "application application (promised)",
            "hpf, tax",
            when(t0),
            "1 d 6 h",
            when(t0 + 26 * H + 5 * S),
            "—",
            when(t0 + 32 * H),
        ],
        [
            "warning",
            "subtask tax-invoice (own)",
            "tax",
            when(dispatched),
            age(dispatched, now),
            when(t0 + 27 * H),
            "—",
            when(t0 + 34 * H),
        ],
    ]
    assert overview["alerts"] == [[console.receipt, *a] for a in alerts]
    assert overview["backlog"] == [
        ["hpf", "1", "0", when(dispatched), age(dispatched, now), "1"],
        ["tax", "0", "1", when(dispatched), age(dispatched, now), "0"],
    ]
    async with httpx.AsyncClient() as http:
        health = (await http.get(f"{console.adapter_url}/departments")).json()
    assert len(health) >= 5
    assert overview["adapter-health"] == [
        [d, h["protocol"], h["breaker"], str(h["in_flight"]), str(h["pending"]), "—"]
        for d, h in sorted(health.items())
    ]

    assert application["url"] == f"{console.url}/ops/applications/{story.application_id}"
    assert application["heading"] == f"Application {console.receipt}"
    assert application["summary"][0][:5] == [
        console.receipt,
        "business-startup",
        "in_progress",
        "window",
        when(t0),
    ]
    assert [s[:4] for s in application["subtasks"]] == [
        ["amr-licence", "amr", "completed", AMR_RECEIPT],  # shown as text, never run
        ["psb-seal", "psb", "completed", "PSB-77"],
        ["tax-invoice", "tax", "accepted", "TAX-2024-88"],
        ["hrss-social-insurance", "hrss", "completed", "—"],
        ["hpf-provident-fund", "hpf", "dispatched", "—"],
    ]
    assert application["alerts"] == alerts
    assert application["timelineHeaders"][:6] == [
        "#",
        "Time",
        "Service",
        "Log",
        "Event type",
        "Trace id",
    ]
    assert [r[1:6] for r in application["timeline"]] == await _expected_timeline(console)
    assert [r[0] for r in application["timeline"]] == [
        str(n) for n in range(1, len(application["timeline"]) + 1)
    ]
    assert application["pwned"] is None and seen["back"]["pwned"] is None
    assert seen["back"]["url"] == f"{console.url}/ops" and seen["dialogs"] == []


async def _expected_timeline(console: Console) -> list[list[str]]:
    """Every log's events about the application, by time: intake's own (from the API) and
    what the story logged for router, dept_adapter and notifier."""
    story = console.story
    async with console.intake.pool.acquire() as conn:
        own = await conn.fetch(
            "SELECT occurred_at, event_id, producer, event_type, traceparent FROM events"
            " WHERE application_id = $1",
            story.application_id,
        )
    rows = [
        (
            r["occurred_at"],
            r["event_id"],
            r["producer"],
            "intake",
            r["event_type"],
            trace_id(r["traceparent"]) or "—",
        )
        for r in own
    ]
    assert [r[4] for r in rows] == ["ApplicationSubmitted"]
    rows += [
        (e.occurred_at, e.event_id, e.producer, log, e.event_type, story.trace_id)
        for log, _, e in story.logged
    ]
    assert {r[3] for r in rows} == set(LOGS)
    return [
        [when(at), producer, console.schemas[log], kind, trace]
        for at, _, producer, log, kind, trace in sorted(rows, key=lambda r: (r[0], r[1]))
    ]


async def test_ops_staff_only_and_every_value_escaped(console: Console) -> None:
    async with httpx.AsyncClient(base_url=console.url, timeout=10) as http:
        for auth in (None, ("ops", "wrong"), ("admin", PASSWORD)):
            refused = await http.get("/ops", auth=auth)
            assert refused.status_code == 401, auth
            assert refused.headers["www-authenticate"].startswith('Basic realm="OneWindow ops"')
            assert console.receipt not in refused.text
        ops = ("ops", PASSWORD)
        shown = await http.get("/ops", auth=ops)
        assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in shown.headers["content-security-policy"]
        page = await http.get(f"/ops/applications/{console.story.application_id}", auth=ops)
        assert "AMR-0001&lt;script&gt;window.pwned=1&lt;/script&gt;" in page.text
        assert "<script" not in page.text.lower()
        gone = await http.get(f"/ops/applications/{console.withdrawn}", auth=ops)
        assert gone.status_code == 200 and "withdrawn" in gone.text
        assert "&lt;b&gt;不再需要&lt;/b&gt;" in gone.text and "<b>" not in gone.text
        for path in (f"/ops/applications/{uuid4()}", "/ops/applications/not-a-uuid", "/ops/x"):
            missing = await http.get(path, auth=ops)
            assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
        assert (await http.get("/ops/applications/not-a-uuid")).status_code == 401


async def test_off_without_a_password_and_an_unreachable_adapter_shown(console: Console) -> None:
    closed_port = free_port()

    def app(**changes: Any) -> httpx.AsyncClient:
        api = FastAPI()
        api.state.service = console.intake
        api.include_router(
            ops_routes(
                console.settings.model_copy(update=changes),
                load_catalog(),
                FileClock(Path(str(console.settings.clock_file))),
            )
        )
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://ops")

    async with app(ops_password=type(console.settings.ops_password)("")) as http:
        off = await http.get("/ops", auth=("ops", ""))
    assert off.status_code == 503 and "ONEWINDOW_OPS_PASSWORD" in off.text
    async with app(
        adapter_url=f"http://127.0.0.1:{closed_port}", adapter_timeout_seconds=1
    ) as http:
        shown = await http.get("/ops", auth=("ops", PASSWORD))
    assert shown.status_code == 200
    health = shown.text.split('id="adapter-health"')[1]
    assert (
        f"127.0.0.1:{closed_port}/departments" in health and "unreachable: ConnectError" in health
    )
    assert console.receipt in shown.text  # the rest of the page is there all the same
