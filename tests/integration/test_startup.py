"""A service whose database is down at start-up says so in one line per try, backs off,
and gives up cleanly when its start-up timeout has passed; one that fails half-way closes
what it had opened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from uuid import uuid4

import pytest

from onewindow.embedded.ports import free_port
from runtime.service import Service
from runtime.settings import ServiceSettings
from tests.conftest import ROOT, Stack


def test_database_down_at_start_gives_one_line_per_retry_then_a_clean_exit() -> None:
    port = free_port()
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/onewindow",
        "ONEWINDOW_STARTUP_TIMEOUT_SECONDS": "8",
        "ONEWINDOW_HTTP_PORT": str(free_port()),
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.router"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    retries = [line for line in lines if "not reachable, retrying" in line["event"]]
    assert done.returncode == 1
    assert len(retries) >= 2
    assert (
        retries[0]["event"] == f"PostgreSQL at 127.0.0.1:{port}/onewindow not reachable, retrying"
    )
    assert "Connect" in retries[0]["error"] or "refused" in retries[0]["error"]
    assert 0.5 <= retries[0]["retry_in_s"] <= 1.0 and 0.5 <= retries[1]["retry_in_s"] <= 2.0
    assert lines[-1]["event"] == "cannot start" and lines[-1]["level"] == "error"
    assert "Traceback" not in done.stdout + done.stderr


async def test_a_start_failing_half_way_is_stopped_closing_what_it_opened(stack: Stack) -> None:
    settings = ServiceSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",  # nothing answers
        startup_timeout_seconds=1,
    )
    service = Service("t_start_" + uuid4().hex[:8], settings, publishes_to=["onewindow.outcomes"])
    with pytest.raises(Exception, match=r"Kafka|Connect"):
        await service.start()
    assert not service.pool.is_closing()  # PostgreSQL was reached: the pool is open

    await service.stop()

    assert service.pool.is_closing()
    assert not service.ready


def test_a_service_without_its_checkpoint_key_does_not_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_CHECKPOINT_KEY")}
    env["ONEWINDOW_HTTP_PORT"] = str(free_port())
    done = subprocess.run(
        [sys.executable, "-m", "services.router"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    last = json.loads(done.stdout.splitlines()[-1])
    assert done.returncode == 1
    assert last["event"] == "cannot start"
    assert "no signing key is configured: set ONEWINDOW_CHECKPOINT_KEY_FILE" in last["error"]


async def test_a_service_with_checkpoints_off_needs_no_key(stack: Stack) -> None:
    settings = ServiceSettings(
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.kafka,
        checkpoint_enabled=False,
        checkpoint_key_file=None,
    )
    service = Service("t_nokey_" + uuid4().hex[:8], settings)
    await service.start()
    try:
        assert service.ready and "checkpoints" not in service.supervisor.parts
        assert "relay" in service.supervisor.parts
    finally:
        await service.stop()
