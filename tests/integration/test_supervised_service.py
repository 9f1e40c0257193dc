"""A service's parts under supervision, on the real PostgreSQL and broker: a worker that
raises is restarted while /readyz names it; a relay whose connection is killed comes back
and publishes; a part that cannot recover makes the service exit non-zero."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
import pytest

from onewindow.embedded.broker import EmbeddedBroker
from onewindow.embedded.ports import free_port
from runtime.metrics import REGISTRY
from runtime.service import GAVE_UP, Service
from runtime.settings import ServiceSettings
from tests.conftest import ROOT, Stack
from tests.helpers import event
from tests.integration.in_process import running


def settings_for(stack: Stack, **more: object) -> ServiceSettings:
    return ServiceSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.kafka,
        startup_timeout_seconds=60,
        retry_first_seconds=0.05,
        retry_max_seconds=0.2,
        part_stable_seconds=1.0,
        part_down_grace_seconds=0.1,
        **more,  # type: ignore[arg-type]
    )


async def readyz(service: Service) -> httpx.Response:
    transport = httpx.ASGITransport(app=service.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.get("/readyz")


def restarts(service: Service, part: str) -> float:
    labels = {"service": service.name, "part": part}
    return REGISTRY.get_sample_value("onewindow_part_restarts_total", labels) or 0.0


async def until(holds: Callable[[], object], timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await holds():  # type: ignore[misc]
            await asyncio.sleep(0.05)


@pytest.fixture
async def flaky_service(stack: Stack) -> AsyncIterator[tuple[Service, list[str]]]:
    failures = ["first", "second", "third"]

    async def flaky(service: Service, stop: asyncio.Event) -> None:
        await asyncio.sleep(0.2)
        if failures:
            raise RuntimeError(f"worker broke ({failures.pop(0)})")
        await stop.wait()

    service = Service("t_sup_" + uuid4().hex[:8], settings_for(stack), background={"flaky": flaky})
    async with running(service):
        yield service, failures


async def test_a_worker_that_raises_is_restarted_and_readyz_names_it_meanwhile(
    flaky_service: tuple[Service, list[str]],
) -> None:
    service, failures = flaky_service

    async def degraded() -> bool:
        answer = await readyz(service)
        return answer.status_code == 503 and "flaky" in answer.json().get("parts_down_s", {})

    await until(degraded)

    async def ready_again() -> bool:
        return not failures and (await readyz(service)).status_code == 200

    await until(ready_again)
    assert restarts(service, "flaky") == 3


async def test_a_relay_whose_connection_is_killed_comes_back_and_publishes(
    stack: Stack,
) -> None:
    service = Service(
        "t_relay_" + uuid4().hex[:8], settings_for(stack), publishes_to=["onewindow.task-results"]
    )
    async with running(service):
        await until(lambda: _relay_lock_held(stack, service.name))
        async with await asyncpg.create_pool(stack.database_url, min_size=1, max_size=1) as pool:
            killed = await pool.fetchval(
                "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l"
                " JOIN pg_stat_activity a USING (pid)"
                " WHERE l.locktype = 'advisory' AND a.application_name = $1",
                service.name,
            )
        assert killed >= 1

        async def restarted() -> bool:
            return restarts(service, "relay") >= 1

        await until(restarted)
        await service.store.append("s", 0, [event(uuid4())])

        async def published() -> bool:
            return await service.relay.pending() == 0

        await until(published)


async def _relay_lock_held(stack: Stack, application_name: str) -> bool:
    conn = await asyncpg.connect(stack.database_url)
    try:
        held = await conn.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1",
            application_name,
        )
    finally:
        await conn.close()
    return bool(held)


def test_a_part_that_cannot_recover_stops_the_service_non_zero(
    stack: Stack, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker", free_port())
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": stack.database_url,
        "ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS": broker.start(),
        "ONEWINDOW_HTTP_PORT": str(free_port()),
        "ONEWINDOW_PART_GIVE_UP_SECONDS": "4",
        "ONEWINDOW_KAFKA_REQUEST_TIMEOUT_SECONDS": "2",
        "ONEWINDOW_KAFKA_TOPIC_CHECK_SECONDS": "0.5",
        "OTEL_SDK_DISABLED": "true",
    }
    service = subprocess.Popen(
        [sys.executable, "-m", "services.router"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert service.stdout is not None
        for line in service.stdout:
            if "service ready" in line:
                break
        broker.stop()  # and it does not come back
        out, _ = service.communicate(timeout=120)
    finally:
        if service.poll() is None:
            service.kill()
        broker.stop()
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert service.returncode == GAVE_UP, out[-3000:]
    assert any(x["event"] == "part failed; restarting it" for x in lines)
    assert any(x["level"] == "critical" and x.get("part") for x in lines)
