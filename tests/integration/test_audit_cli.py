"""`onewindow verify`, `checkpoint` and `checkpoint-key` on a database of their own: what an
auditor runs and reads."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from eventlog.checkpoint_file import CheckpointFile
from eventlog.migrate import migrate
from onewindow.cli import app
from onewindow.stack import create_database
from tests.conftest import CheckpointKeys
from tests.helpers import event, triggers_off

cli = CliRunner()


@pytest.fixture
def database(stack: Any) -> str:
    """A database of this test's own: the commands work on the services' own schemas."""
    dsn = create_database(stack.database_url, "audit_" + uuid.uuid4().hex[:8])
    for schema in ("intake", "router"):
        migrate(dsn, schema)
    return dsn


async def _append_two(dsn: str) -> None:
    from eventlog.store import EventStore

    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=2, server_settings={"search_path": "intake"}
    )
    try:
        await EventStore(pool).append("application-1", 0, [event(n=1), event(n=2)])
    finally:
        await pool.close()


async def _remove_last(dsn: str) -> None:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "intake"})
    try:
        async with triggers_off(conn):
            await conn.execute("DELETE FROM events WHERE version = 2")
    finally:
        await conn.close()


def test_verify_names_what_was_done_and_checkpoint_signs_on_demand(
    database: str, stack: Any, checkpoint_keys: CheckpointKeys, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("ONEWINDOW_CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.setenv("ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS", stack.kafka)
    asyncio.run(_append_two(database))
    verify = ["verify", "--database-url", database, "--checkpoint-dir", str(tmp_path)]
    key = ["--public-key-file", str(checkpoint_keys.public_file)]

    signed = cli.invoke(app, ["checkpoint", "intake", "router", "--database-url", database])
    assert signed.exit_code == 0, signed.output
    assert signed.output.splitlines() == [
        "intake: checkpoint #1 signed, 2 event(s) up to position 2; written and published",
        "router: nothing new since the last checkpoint",
    ]
    again = cli.invoke(app, ["checkpoint", "intake", "--database-url", database])
    assert again.output.splitlines() == ["intake: nothing new since the last checkpoint"]
    clean = cli.invoke(app, [*verify, *key])
    assert clean.exit_code == 0, clean.output
    assert re.fullmatch(
        r"intake: intact; checkpoint #1 \(\S+Z\) covers 2 event\(s\) up to position 2; "
        r"0 event\(s\) after it not yet covered",
        clean.output.splitlines()[0],
    )

    asyncio.run(_remove_last(database))
    found = cli.invoke(app, [*verify, *key])

    assert found.exit_code == 1
    lines = found.output.splitlines()
    assert lines[0] == "intake: application-1 v2 (position 2): removed (signed in checkpoint #1)"
    assert lines[1].startswith("intake: 1 problem(s); checkpoint #1")
    assert lines[2] == (
        f"router: intact; no valid checkpoint in {CheckpointFile(tmp_path, 'router').path}; "
        "0 event(s) not yet covered"
    )
    assert "dept_adapter: no event log yet" in lines

    chain_only = cli.invoke(app, [*verify, "--chain-only"])
    assert chain_only.exit_code == 0  # the chain alone cannot see a removed last event
    assert "intake: intact; signed checkpoints not checked" in chain_only.output
    keyless = cli.invoke(app, verify)
    assert keyless.exit_code == 2
    assert "no trusted public key" in keyless.output


def test_checkpoint_key_makes_a_pair_and_never_overwrites(tmp_path: Path) -> None:
    made = cli.invoke(app, ["checkpoint-key", str(tmp_path / "k.pem")])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "k.pem.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    again = cli.invoke(app, ["checkpoint-key", str(tmp_path / "k.pem")])
    assert again.exit_code == 2 and "never overwritten" in again.output
