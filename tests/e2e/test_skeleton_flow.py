"""One submission travels intake → router → dept_adapter → router → notifier, each hop
through the producing service's log, its relay, Kafka and the consuming service's inbox."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
import httpx

from contracts.envelope import Envelope
from eventlog.store import EventStore


async def _events(database_url: str, schema: str, application_id: UUID) -> list[Envelope]:
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=1, server_settings={"search_path": schema}
    )
    try:
        return [r.envelope for r in await EventStore(pool).read_application(application_id)]
    finally:
        await pool.close()


async def test_a_submission_reaches_every_service(services) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{services.ports['intake']}") as http:
        response = await http.post(
            "/v1/applications",
            json={
                "matter": "business-startup",
                "channel": "web",
                "applicant": {"name": "张三"},
                "form": {"company_name": "杭州一窗科技有限公司"},
            },
        )
    assert response.status_code == 202, response.text
    application_id = UUID(response.json()["application_id"])

    async with asyncio.timeout(60):
        while not await _events(services.database_url, "notifier", application_id):
            await asyncio.sleep(0.2)

    logs = {
        schema: await _events(services.database_url, schema, application_id)
        for schema in ("intake", "router", "dept_adapter", "notifier")
    }
    assert {s: [f"{e.producer}:{e.event_type}" for e in events] for s, events in logs.items()} == {
        "intake": ["intake:ApplicationSubmitted"],
        "router": ["router:SubtaskDispatched", "router:OutcomeDecided"],
        "dept_adapter": ["dept_adapter:SubtaskCompleted"],
        "notifier": ["notifier:ResultDelivered"],
    }
    # One correlation, and each hop caused by the event the previous service published.
    submitted, (dispatched, decided) = logs["intake"][0], logs["router"]
    completed, delivered = logs["dept_adapter"][0], logs["notifier"][0]
    chain = [submitted, dispatched, completed, decided, delivered]
    assert {e.correlation_id for e in chain} == {submitted.correlation_id}
    assert [e.causation_id for e in chain[1:]] == [e.event_id for e in chain[:-1]]
