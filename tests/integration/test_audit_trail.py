"""The audit trail against the people who run the database: each test tampers with a real
log as a PostgreSQL superuser and `onewindow verify`'s audit must find it and name it — or,
for numbers jsonb rewrites, must not cry wolf."""

from __future__ import annotations

import asyncio
import json
import threading
import unicodedata
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.catalog import EXAMPLES_DIR
from contracts.checkpoint import SignedCheckpoint
from contracts.envelope import Envelope
from contracts.topics import CHECKPOINTS
from eventlog.audit import Audit, audit
from eventlog.checkpoint_file import CheckpointFile, CheckpointLine
from eventlog.checkpointer import Checkpointer
from eventlog.hashing import read_back, stored_hash
from eventlog.signing import key_id, load_public_keys, signature_problem
from eventlog.store import SELECT_AUDITED, Connection, EventStore, to_recorded
from tests.conftest import CheckpointKeys
from tests.helpers import event, triggers_off


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def trusted(key: Ed25519PrivateKey) -> dict[str, Ed25519PublicKey]:
    return {key_id(key.public_key()): key.public_key()}


@pytest.fixture
def file(tmp_path: Path, schema_name: str) -> CheckpointFile:
    return CheckpointFile(tmp_path, schema_name)


@pytest.fixture
def signer(
    pool: asyncpg.Pool, schema_name: str, key: Ed25519PrivateKey, file: CheckpointFile
) -> Checkpointer:
    return Checkpointer(pool, schema_name, key, file)


@pytest.fixture
async def log(pool: asyncpg.Pool, signer: Checkpointer) -> AsyncIterator[asyncpg.Pool]:
    """Four streams of three, two, three and two events, covered by checkpoint #1."""
    store = EventStore(pool)
    for stream, count in (("s-1", 3), ("s-2", 2), ("s-3", 3), ("s-4", 2)):
        await store.append(stream, 0, [event(n=i) for i in range(count)])
    assert [c.tree_size for c in await signer.checkpoint()] == [10]
    yield pool


async def audited(
    pool: asyncpg.Pool, schema: str, file: CheckpointFile, trusted: dict[str, Ed25519PublicKey]
) -> Audit:
    return await audit(pool, schema, file, trusted)


def named(found: Audit) -> set[tuple[str, int | None, str]]:
    return {(t.stream_id, t.version, t.problem) for t in found.tampering}


async def rechain(conn: Connection, stream_id: str, from_version: int) -> None:
    """What an insider does to hide a change: recompute the chain's hashes (the formula is
    public) from `from_version` to the stream's end."""
    prev = None
    for row in await conn.fetch(
        f"{SELECT_AUDITED} WHERE stream_id = $1 ORDER BY version", stream_id
    ):
        recorded = to_recorded(row)
        if recorded.version < from_version:
            prev = recorded.hash
            continue
        digest = stored_hash(
            2, prev, stream_id, recorded.version, recorded.envelope, read_back(row["payload"])
        )
        await conn.execute(
            "UPDATE events SET prev_hash = $1, hash = $2 WHERE position = $3",
            prev,
            digest,
            recorded.position,
        )
        prev = digest


async def alter_and_rechain(conn: Connection, stream_id: str, version: int) -> int:
    """Change an event's content and hide it in the chain; returns the event's position."""
    await conn.execute(
        "UPDATE events SET payload = jsonb_set(payload, '{outputs,n}', '99')"
        " WHERE stream_id = $1 AND version = $2",
        stream_id,
        version,
    )
    await rechain(conn, stream_id, version)
    return await position_of(conn, stream_id, version)


async def position_of(conn: Connection, stream_id: str, version: int) -> int:
    found: int = await conn.fetchval(
        "SELECT position FROM events WHERE stream_id = $1 AND version = $2", stream_id, version
    )
    return found


async def test_an_intact_log_verifies_and_what_came_later_is_not_yet_covered(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any, signer: Checkpointer
) -> None:
    found = await audited(log, schema_name, file, trusted)
    assert found.intact and found.checked_checkpoints
    assert (found.checkpoints, found.uncovered) == (1, 0)
    assert found.latest is not None and found.latest.tree_size == 10

    await EventStore(log).append("s-5", 0, [event(), event()])
    later = await audited(log, schema_name, file, trusted)
    assert later.intact and later.uncovered == 2

    assert [c.seq for c in await signer.checkpoint()] == [2]
    assert await signer.checkpoint() == []  # nothing changed: nothing signed
    covered = await audited(log, schema_name, file, trusted)
    assert covered.intact and (covered.checkpoints, covered.uncovered) == (2, 0)


async def test_an_event_altered_with_its_chain_recomputed_is_named(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any
) -> None:
    async with log.acquire() as superuser, triggers_off(superuser):
        altered = await alter_and_rechain(superuser, "s-1", 2)

    found = await audited(log, schema_name, file, trusted)

    assert not [t for t in found.tampering if "content" in t.problem]  # the chain is whole
    assert named(found) == {
        ("s-1", 2, "altered: its hash is not the one signed in checkpoint #1"),
        ("s-1", 3, "hash differs from checkpoint #1: chain recomputed after v2 was altered"),
    }
    assert found.tampering[0].position == altered


async def test_an_event_inserted_with_its_chain_recomputed_is_named(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any
) -> None:
    """A false event put in as s-2 v2: the old v2 is renumbered v3, the chain recomputed."""
    async with log.acquire() as superuser, triggers_off(superuser):
        old_v2 = await position_of(superuser, "s-2", 2)
        await superuser.execute(
            "UPDATE events SET version = 3 WHERE stream_id = 's-2' AND version = 2"
        )
        false = event(n=42)
        await superuser.execute(
            "INSERT INTO events (stream_id, version, event_id, event_type, schema_version,"
            " occurred_at, application_id, correlation_id, producer, payload, hash, hash_scheme)"
            " VALUES ('s-2', 2, $1, $2, 1, $3, $4, $5, 'test', $6::jsonb, '\\x00', 2)",
            false.event_id, false.event_type, false.occurred_at, false.application_id,
            false.correlation_id, json.dumps(false.payload),
        )  # fmt: skip
        await rechain(superuser, "s-2", 2)
        inserted = await position_of(superuser, "s-2", 2)

    found = await audited(log, schema_name, file, trusted)

    assert not [t for t in found.tampering if "link" in t.problem or "content" in t.problem]
    by_position = {t.position: (t.stream_id, t.version, t.problem) for t in found.tampering}
    assert by_position == {
        old_v2: (
            "s-2",
            3,
            "checkpoint #1 signed s-2 v2 at this position: moved, renumbered or replaced",
        ),
        inserted: (
            "s-2",
            2,
            "inserted: after the positions covered (up to 10) yet before versions of its "
            "stream that are covered",
        ),
    }


async def test_an_event_inserted_into_a_gap_of_positions_is_named(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any, signer: Checkpointer
) -> None:
    """A rolled-back append leaves positions unused; a false event put there is inside the
    range a checkpoint covers, though the checkpoint never had it."""
    store, duplicate = EventStore(log), event()
    with pytest.raises(asyncpg.UniqueViolationError):  # event_id is unique: rolled back
        await store.append("s-6", 0, [duplicate, duplicate])
    await store.append("s-6", 0, [event()])
    assert [c.seq for c in await signer.checkpoint()] == [2]
    async with log.acquire() as superuser, triggers_off(superuser):
        gap = await superuser.fetchval(
            "SELECT p FROM generate_series(1, (SELECT max(position) FROM events)) AS p"
            " WHERE p NOT IN (SELECT position FROM events) LIMIT 1"
        )
        false = event(n=7)
        await superuser.execute(
            "INSERT INTO events (position, stream_id, version, event_id, event_type,"
            " schema_version, occurred_at, application_id, correlation_id, producer, payload,"
            " prev_hash, hash, hash_scheme) OVERRIDING SYSTEM VALUE"
            " SELECT $1, 's-6', 2, $2, $3, 1, $4, $5, $6, 'test', $7::jsonb, hash, '\\x00', 2"
            " FROM events WHERE stream_id = 's-6' AND version = 1",
            gap, false.event_id, false.event_type, false.occurred_at, false.application_id,
            false.correlation_id, json.dumps(false.payload),
        )  # fmt: skip
        await rechain(superuser, "s-6", 2)

    found = await audited(log, schema_name, file, trusted)

    assert [(t.stream_id, t.version, t.position) for t in found.tampering] == [("s-6", 2, gap)]
    assert found.tampering[0].problem.startswith("inserted: not in checkpoint #2, which covers")


async def test_a_removed_last_event_of_a_stream_is_named(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any
) -> None:
    async with log.acquire() as superuser, triggers_off(superuser):
        last = await position_of(superuser, "s-3", 3)
        await superuser.execute("DELETE FROM events WHERE stream_id = 's-3' AND version = 3")

    found = await audited(log, schema_name, file, trusted)

    assert [(t.stream_id, t.version, t.position, t.problem) for t in found.tampering] == [
        ("s-3", 3, last, "removed (signed in checkpoint #1)")
    ]
    assert str(found.tampering[0]) == f"s-3 v3 (position {last}): removed (signed in checkpoint #1)"


async def test_a_removed_stream_is_named(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any
) -> None:
    async with log.acquire() as superuser, triggers_off(superuser):
        await superuser.execute("DELETE FROM events WHERE stream_id = 's-4'")

    found = await audited(log, schema_name, file, trusted)

    assert named(found) == {
        ("s-4", None, "stream removed: none of its 2 signed event(s) (v1–v2, checkpoint "
         "#1–#1) is left"),
    }  # fmt: skip
    assert str(found.tampering[0]).startswith("s-4: stream removed")


async def test_session_replication_role_no_longer_switches_the_triggers_off(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any
) -> None:
    async with log.acquire() as superuser:
        for statement in (
            "UPDATE events SET payload = '{}' WHERE stream_id = 's-1'",
            "DELETE FROM events WHERE stream_id = 's-1'",
            "TRUNCATE events",
        ):
            async with superuser.transaction():
                await superuser.execute("SET LOCAL session_replication_role = replica")
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                    await superuser.execute(statement)
    assert (await audited(log, schema_name, file, trusted)).intact


async def test_a_rewrite_under_replica_role_on_a_log_before_the_hardening_is_named(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any
) -> None:
    """A log whose triggers are as the first migration left them (skipped in replica role):
    an event rewritten that way, hash recomputed, is still found, by its checkpoint."""
    async with log.acquire() as superuser:
        for trigger in ("events_append_only", "events_no_truncate"):
            await superuser.execute(f"ALTER TABLE events ENABLE TRIGGER {trigger}")
        async with superuser.transaction():
            await superuser.execute("SET LOCAL session_replication_role = replica")
            rewritten = await alter_and_rechain(superuser, "s-4", 2)

    found = await audited(log, schema_name, file, trusted)

    assert [(t.stream_id, t.version, t.position, t.problem) for t in found.tampering] == [
        ("s-4", 2, rewritten, "altered: its hash is not the one signed in checkpoint #1")
    ]


FORM: dict[str, Any] = {
    "registered_capital": 1e16,
    "larger": 1.2345e300,
    "big_integer": 2**80 + 1,
    "parsed_from_1_50": json.loads("1.50"),
    "kept_as_1_50": Decimal("1.50"),
    "small": 1e-7,
    "tiny": 5e-324,
    "negative_zero": -0.0,
    "whole_float": 3.0,
    "nfc": unicodedata.normalize("NFC", "张伟 Zoë Ångström"),
    "nfd": unicodedata.normalize("NFD", "张伟 Zoë Ångström"),
    "emoji": "👩‍💻🇨🇳",
    "cjk": "杭州一窗科技有限公司（筹）",
    "nested": [{"b": 1e17, "a": [0.1, 10**30]}],
}


async def test_numbers_and_text_jsonb_rewrites_verify_clean(
    pool: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any, signer: Checkpointer
) -> None:
    """Any web client can put such values in a form; the audit must stay green."""
    recorded = event(n=1)
    envelope = Envelope.model_validate(
        {**recorded.model_dump(), "payload": {**recorded.payload, "form": FORM}}
    )
    store = EventStore(pool)
    await store.append("application-x", 0, [envelope])
    await store.append("application-x", 1, [event(n=2)])
    back = (await store.read("application-x"))[0].envelope.payload["form"]
    assert back["registered_capital"] == 10**16  # what jsonb made of the float
    assert back["nfd"] != back["nfc"] and back["nfd"] == FORM["nfd"]
    await signer.checkpoint()

    found = await audited(pool, schema_name, file, trusted)

    assert found.intact, [str(t) for t in found.tampering]
    assert found.checkpoints == 1 and found.uncovered == 0


async def test_events_hashed_before_scheme_two_still_verify(
    stack: Any, schema_name: str, tmp_path: Path, key: Ed25519PrivateKey, trusted: Any
) -> None:
    """A log from before this revision: events hashed with scheme 1, then the upgrade."""
    from alembic import command

    from eventlog.migrate import _config, migrate_async

    config = _config(stack.database_url, schema_name, None)
    await asyncio.to_thread(command.upgrade, config, "0001")  # Alembic runs its own loop
    pool = await asyncpg.create_pool(
        stack.database_url, min_size=1, max_size=2, server_settings={"search_path": schema_name}
    )
    try:
        old = event(n=3)
        digest = stored_hash(1, None, "s-old", 1, old, old.payload)
        await pool.execute(
            "INSERT INTO events (stream_id, version, event_id, event_type, schema_version,"
            " occurred_at, application_id, correlation_id, producer, payload, hash)"
            " VALUES ('s-old', 1, $1, $2, 1, $3, $4, $5, 'test', $6::jsonb, $7)",
            old.event_id, old.event_type, old.occurred_at, old.application_id,
            old.correlation_id, json.dumps(old.payload), digest,
        )  # fmt: skip
        await migrate_async(stack.database_url, schema_name)
        await EventStore(pool).append("s-old", 1, [event(n=4)])
        schemes = await pool.fetch("SELECT hash_scheme FROM events ORDER BY position")
        assert [r["hash_scheme"] for r in schemes] == [1, 2]
        file = CheckpointFile(tmp_path, schema_name)
        await Checkpointer(pool, schema_name, key, file).checkpoint()
        found = await audit(pool, schema_name, file, trusted)
        assert found.intact and found.checkpoints == 1
    finally:
        await pool.close()


async def test_a_checkpoint_file_not_to_be_trusted_is_reported(
    log: asyncpg.Pool, schema_name: str, file: CheckpointFile, trusted: Any, signer: Checkpointer
) -> None:
    store = EventStore(log)
    for round_ in range(2):
        await store.append(f"s-more-{round_}", 0, [event()])
        await signer.checkpoint()
    lines = file.path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 3

    file.path.write_bytes(b"".join(lines[:2]) + lines[2][:-30])  # the last write cut short
    truncated = await audited(log, schema_name, file, trusted)
    assert truncated.file_problems == [f"{file.path}: line 3 is incomplete (truncated?)"]
    assert (truncated.checkpoints, truncated.uncovered, truncated.tampering) == (2, 1, [])

    file.path.write_bytes(lines[0] + lines[2])  # a checkpoint taken out
    removed = await audited(log, schema_name, file, trusted)
    assert removed.file_problems == [
        "line 2 (checkpoint #3): checkpoint #3 where #2 was due (a line removed or repeated?)"
    ]

    first = json.loads(lines[0])
    first["entries"][0][3] = "ab" * 32  # the file edited to match an altered database
    file.path.write_text(json.dumps(first) + "\n")
    edited = await audited(log, schema_name, file, trusted)
    assert edited.file_problems == [
        "line 1 (checkpoint #1): its events do not hash to the signed Merkle root "
        "(the file was altered)"
    ]
    assert (edited.checkpoints, edited.uncovered) == (0, 12)

    other = Ed25519PrivateKey.generate()
    file.path.unlink()
    await Checkpointer(log, schema_name, other, file).checkpoint()
    foreign = await audited(log, schema_name, file, trusted)
    assert foreign.file_problems == [
        f"line 1 (checkpoint #1): signed by key {key_id(other.public_key())}, which is not "
        "among the trusted keys"
    ]
    assert not foreign.intact and foreign.uncovered == 12


async def test_a_form_from_any_web_client_keeps_intakes_audit_green(
    stack: Any, checkpoint_keys: CheckpointKeys
) -> None:
    """Through intake's HTTP API: a capital of 1e16 (jsonb stores the integer) and a name in
    decomposed Unicode; the service signs its log as it stops, and the audit is clean."""
    from services.intake.adapters import issue_api_key
    from tests.integration.in_process import client_of, intake_on, running

    body = json.loads((EXAMPLES_DIR / "business-startup.json").read_text(encoding="utf-8"))
    body["form"]["company"]["registered_capital"] = 1e16
    body["form"]["company"]["name"] = unicodedata.normalize("NFD", "杭州Zoë科技有限公司👩‍💻")
    body["delivery"] = {"channel": "email", "address": "chen@example.cn"}
    service = intake_on(stack)
    async with running(service), client_of(service) as http:
        key = await issue_api_key(service.pool, "web-" + service.schema, "web")
        answer = await http.post(
            "/v1/applications",
            json=body,
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid4())},
        )
        assert answer.status_code == 202, answer.text
    pool = await asyncpg.create_pool(
        stack.database_url, min_size=1, max_size=2, server_settings={"search_path": service.schema}
    )
    try:
        stored = await pool.fetchval(
            "SELECT payload #>> '{form,company,registered_capital}'"
            " FROM events ORDER BY position LIMIT 1"
        )
        assert stored == "10000000000000000"
        trusted = load_public_keys(checkpoint_keys.public_file.read_text(), "test key")
        file = CheckpointFile(checkpoint_keys.directory, service.schema)
        found = await audit(pool, service.schema, file, trusted)
    finally:
        await pool.close()
    assert found.intact, [str(t) for t in found.tampering] + found.file_problems
    assert found.checkpoints >= 1 and found.uncovered == 0
    # and the same checkpoints went to Kafka, signed: a copy outside this machine's files
    published = await checkpoints_on_kafka(stack.kafka, service.schema, found.checkpoints)
    assert [c.seq for c in published] == list(range(1, found.checkpoints + 1))
    assert all(signature_problem(c, trusted) is None for c in published)
    assert published[-1] == found.latest


async def checkpoints_on_kafka(kafka: str, log: str, expected: int) -> list[SignedCheckpoint]:
    consumer = AIOKafkaConsumer(
        CHECKPOINTS, bootstrap_servers=kafka, group_id=f"test-{uuid4()}",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    found: list[SignedCheckpoint] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                found += [
                    SignedCheckpoint.model_validate_json(record.value)
                    for records in batch.values()
                    for record in records
                    if record.key == log.encode()
                ]
    finally:
        await consumer.stop()
    return found


class _SlowDisk(CheckpointFile):
    """A checkpoint file whose write hangs until the test lets it go."""

    def __init__(self, directory: Path, log: str) -> None:
        super().__init__(directory, log)
        self.writing, self.go_on = threading.Event(), threading.Event()

    def append(self, line: CheckpointLine) -> None:
        self.writing.set()
        self.go_on.wait(30)
        super().append(line)


async def test_appends_go_on_while_a_checkpoint_is_being_signed(
    pool: asyncpg.Pool, schema_name: str, key: Ed25519PrivateKey, tmp_path: Path, trusted: Any
) -> None:
    store = EventStore(pool)
    await store.append("s-1", 0, [event(), event()])
    disk = _SlowDisk(tmp_path, schema_name)
    signing = asyncio.create_task(Checkpointer(pool, schema_name, key, disk).checkpoint())
    try:
        assert await asyncio.to_thread(disk.writing.wait, 30)  # the round holds its lock now

        await asyncio.wait_for(store.append("s-1", 2, [event()]), 5)
        await asyncio.wait_for(store.append("s-2", 0, [event()]), 5)
    finally:
        disk.go_on.set()
    (signed,) = await signing
    assert signed.tree_size == 2
    found = await audit(pool, schema_name, disk, trusted)
    assert found.intact and found.uncovered == 2
