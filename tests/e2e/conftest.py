from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import yaml

from contracts.registers import DATASETS
from onewindow.applicant import Applicant, issue_keys
from onewindow.demo_view import OUTCOME_NOTICES
from onewindow.embedded.ports import free_port
from onewindow.stack import LOCAL_PARTS, WEBHOOK_RECEIVER, Stack
from onewindow.webhook import WebhookReceiver
from services.dept_adapter.settings import HERE

DEPARTMENTS_FILE = HERE / "departments.yaml"
# a register made to fail is read again soon, and a failing one answers "unavailable" soon
REGISTERS = {
    "defaults": {
        "timeout_seconds": 5,
        "max_attempts": 3,
        "give_up_seconds": 5,
        "backoff": {"base_seconds": 0.05, "cap_seconds": 0.2},
        "breaker": {"failure_threshold": 5, "open_seconds": 3, "half_open_probes": 1},
    },
    "registers": {},
}

WEBHOOK_SECRET = "e2e-webhook-secret"
FAST = {
    # legacy systems answer quickly, and the services retry quickly, so the suite stays short
    "ONEWINDOW_LEGACY_SIM_ALL_DEPARTMENTS": json.dumps(
        {"latency_ms": 5, "jitter_ms": 2, "processing_delay_ms": 150}
    ),
    "ONEWINDOW_LEGACY_SIM_ALL_DATASETS": json.dumps({"latency_ms": 5, "jitter_ms": 2}),
    "ONEWINDOW_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "ONEWINDOW_DELIVERY_BACKOFF_SECONDS": "0.2",
    "ONEWINDOW_DELIVERY_BACKOFF_MAX_SECONDS": "1",
}


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """Every service and the legacy systems as their own processes, on the test stack.

    Per module, not per session: its psb stand-in consumes onewindow.tasks.psb in the group
    the psb integration tests' stand-ins use, so it must be gone before those run."""
    root = tmp_path_factory.mktemp("services")
    departments = yaml.safe_load(DEPARTMENTS_FILE.read_text(encoding="utf-8"))
    departments["defaults"]["breaker"]["open_seconds"] = 3  # a breaker test need not wait 30 s
    (root / "departments.yaml").write_text(yaml.safe_dump(departments), encoding="utf-8")
    (root / "registers.yaml").write_text(yaml.safe_dump(REGISTERS), encoding="utf-8")
    running = Stack(
        root=root,
        database_url=stack.database_url,
        kafka=stack.kafka,
        ports={name: free_port() for name in LOCAL_PARTS},
    )
    running.start_services(
        {
            **FAST,
            "ONEWINDOW_DEPARTMENTS_FILE": str(root / "departments.yaml"),
            "ONEWINDOW_REGISTERS_FILE": str(root / "registers.yaml"),
        }
    )
    try:
        running.wait_ready(timeout=120)
        yield running
    finally:
        running.stop_services()


@pytest.fixture(scope="module")
async def webhook(services: Stack) -> AsyncIterator[WebhookReceiver]:
    """The applicant's receiver on the one local port the stack admits (ONEWINDOW_WEBHOOK_ALLOW)."""
    port = services.ports[WEBHOOK_RECEIVER]
    async with WebhookReceiver(WEBHOOK_SECRET, port=port).running() as receiver:
        yield receiver


@pytest.fixture(scope="module")
async def clients(services: Stack) -> dict[str, Applicant]:
    """API clients of intake: two front ends and a clerk."""
    keys = await issue_keys(
        services.database_url, {"web": "web", "mobile": "mobile", "clerk": "clerk"}
    )
    return {name: Applicant(services.url("intake"), key) for name, key in keys.items()}


@pytest.fixture
async def legacy(services: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The legacy systems' control API; whatever a test changes is undone after it."""
    async with httpx.AsyncClient(base_url=services.url("legacy_sim"), timeout=10) as http:
        yield http
        for dept in ("amr", "tax", "hrss", "hpf", "nrb", "psb"):
            await http.post(f"/_control/{dept}", json={"error_rate": 0, "fail_first": 0})
        for dataset in DATASETS:
            await http.post(f"/_control/sharing/{dataset}", json={"error_rate": 0, "fail_first": 0})


async def eventually(check: Any, timeout: float = 60.0, every: float = 0.2) -> Any:
    """Poll `check()` until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while not (found := await check()):
            await asyncio.sleep(every)
    return found


async def submitted(applicant: Applicant, body: dict[str, Any]) -> str:
    response = await applicant.submit(body)
    assert response.status_code == 202, response.text
    return str(response.json()["application_id"])


async def settled(applicant: Applicant, application_id: str, timeout: float = 60) -> dict[str, Any]:
    """The application once decided and its notice delivered (or failed)."""
    last: dict[str, Any] = {}

    async def done() -> dict[str, Any] | None:
        last.update(await applicant.application(application_id))
        decided = last["status"] in ("approved", "rejected", "withdrawn")
        noticed = any(n["notice"] in OUTCOME_NOTICES for n in last["notices"])
        return last if decided and noticed else None

    try:
        found: dict[str, Any] = await eventually(done, timeout)
    except TimeoutError:
        progress = {s["subtask"]: s["status"] for s in last.get("subtasks", [])}
        raise AssertionError(
            f"{application_id} not settled: {last.get('status')} {progress}"
        ) from None
    return found


def leaked_lines(services: Stack) -> tuple[list[str], list[str]]:
    """Every line the stack's processes logged, and those showing an ID number or a mobile."""
    id_number = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
    mobile = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
    lines = [
        line
        for log in (services.root / "logs").glob("*.log")
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
    ]
    return lines, [line for line in lines if id_number.search(line) or mobile.search(line)]
