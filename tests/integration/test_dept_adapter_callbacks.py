"""The callback route is wired when the service is built: a legacy system's decision is
recorded right after the service starts, whether or not the filing workers have run yet."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskAccepted
from eventlog.store import EventStore
from onewindow.embedded.ports import free_port
from services.dept_adapter.bootstrap import DeptAdapterSettings, build
from services.dept_adapter.domain.events import FilingRequested
from services.dept_adapter.domain.filing import stream_of
from services.dept_adapter.domain.signature import signed
from tests.conftest import Stack
from tests.integration.dept_adapter_support import SECRET
from tests.integration.dept_adapter_support import running as adapter_running
from tests.integration.in_process import running


async def accepted_filing(store: EventStore) -> tuple[str, str]:
    """An nrb filing accepted by its legacy system: (filing key, receipt)."""
    app, key, receipt = uuid7(), f"{uuid7()}:nrb-transfer-registration:1", "NRB-1"
    requested = Envelope.new(
        FilingRequested(
            subtask="nrb-transfer-registration",
            department="nrb",
            title="办理",
            time_limit_days=1,
            filing_key=key,
            inputs={"city": "杭州市"},
        ),
        application_id=app,
        producer="dept_adapter",
    )
    accepted = Envelope.new(
        SubtaskAccepted(
            subtask="nrb-transfer-registration",
            department="nrb",
            filing_key=key,
            legacy_receipt=receipt,
        ),
        application_id=app,
        producer="dept_adapter",
    )
    await store.append(stream_of(key), 0, [requested, accepted])
    return key, receipt


async def post_decision(http: httpx.AsyncClient, key: str, receipt: str) -> httpx.Response:
    body = json.dumps({"status": "completed", "receipt": receipt, "outputs": {}}).encode()
    return await http.post(
        "/callbacks/nrb",
        params={"filing_key": key},
        content=body,
        headers={"X-Legacy-Signature": signed(SECRET.encode(), body)},
    )


async def types_of(store: EventStore, key: str) -> list[str]:
    return [r.envelope.event_type for r in await store.read(stream_of(key))]


async def test_a_callback_is_recorded_right_after_the_service_starts(stack: Stack) -> None:
    common: dict[str, Any] = {
        "database_url": stack.database_url,
        "kafka_bootstrap_servers": stack.kafka,
        "startup_timeout_seconds": 60,
        "legacy_base_url": f"http://127.0.0.1:{free_port()}",  # nothing is filed here
    }
    # Not fed from Kafka: the topics hold other tests' events.
    service = replace(
        build(DeptAdapterSettings(**common)), name=f"t_da_{uuid4().hex[:8]}", consumers=()
    )
    async with running(service):
        transport = httpx.ASGITransport(app=service.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://adapter") as http:
            key, receipt = await accepted_filing(service.store)
            answer = await post_decision(http, key, receipt)
        assert (answer.status_code, answer.json()) == (200, {"status": "recorded"})
        assert await types_of(service.store, key) == [
            "DeptAdapterFilingRequested",
            "SubtaskAccepted",
            "SubtaskCompleted",
        ]


async def test_a_callback_does_not_wait_for_the_filing_workers(pool: asyncpg.Pool) -> None:
    port = free_port()
    store = EventStore(pool)
    key, receipt = await accepted_filing(store)
    unused = f"http://127.0.0.1:{free_port()}"
    async with adapter_running(pool, unused, port, work=False):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            answer = await post_decision(http, key, receipt)
    assert (answer.status_code, answer.json()) == (200, {"status": "recorded"})
    assert (await types_of(store, key))[-1] == "SubtaskCompleted"
