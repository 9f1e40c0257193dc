"""schemathesis against intake served on a port (its real PostgreSQL), as a web client and as
a clerk: every phase (examples, coverage, fuzzing, stateful) and every check, bounded in
examples so it fits CI. What is configured, and why, is in schemathesis/schemathesis.toml."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
import uvicorn

from onewindow.embedded.ports import free_port
from runtime.service import Service
from services.intake.adapters import issue_api_key
from tests.integration.in_process import intake_on, running

HERE = Path(__file__).parent / "schemathesis"
ROOT = Path(__file__).parents[2]
MAX_EXAMPLES = int(os.environ.get("ONEWINDOW_SCHEMATHESIS_EXAMPLES", "10"))


@pytest.fixture(scope="module")
async def served(stack) -> AsyncIterator[tuple[Service, str]]:  # type: ignore[no-untyped-def]
    async with running(intake_on(stack)) as service:
        port = free_port()
        config = uvicorn.Config(service.asgi(), host="127.0.0.1", port=port, lifespan="off",
                                log_level="warning", access_log=False)  # fmt: skip
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        try:
            yield service, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await serving


@pytest.mark.parametrize("kind", ["web", "clerk"])
async def test_schemathesis_finds_nothing(served: tuple[Service, str], kind: str) -> None:
    service, url = served
    client = f"schemathesis-{kind}-{uuid4().hex[:6]}"
    key = await issue_api_key(service.pool, client, kind)
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "schemathesis.cli", "--no-color",
        "--config-file", str(HERE / "schemathesis.toml"), "run", f"{url}/openapi.json",
        "--header", f"Authorization: Bearer {key}",
        "--max-examples", str(MAX_EXAMPLES), "--seed", "20261203", "--workers", "1",
        "--checks", "all",
        cwd=ROOT, env=os.environ | {"SCHEMATHESIS_HOOKS": "tests.integration.schemathesis.hooks",
                                     "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await run.communicate()
    report = output.decode(errors="replace")
    print(report)  # shown by pytest on a failure, or with -s
    assert run.returncode == 0, report[-20_000:]
    async with service.pool.acquire() as conn:
        recorded = dict(
            await conn.fetch(
                "SELECT event_type, count(*) FROM events e JOIN applications a"
                " ON a.application_id = e.application_id WHERE a.client_id = $1 GROUP BY 1",
                client,
            )
        )
    print(kind, recorded)
    # the stateful phase filed applications through the hooks and followed the links on
    assert recorded.get("ApplicationSubmitted", 0) > 0, recorded
