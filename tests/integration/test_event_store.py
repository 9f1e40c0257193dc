"""The event store on the real PostgreSQL: concurrency, append-only, hash chain."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from uuid6 import uuid7

from eventlog.migrate import migrate_async
from eventlog.store import ConcurrencyConflict, EventStore, StreamAppend
from eventlog.verify import verify
from tests.helpers import event, triggers_off


async def test_append_and_read_back_in_order(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    app = uuid7()
    events = [event(app, n) for n in range(3)]
    assert await store.append("s-1", 0, events) == 3
    recorded = await store.read("s-1")
    assert [r.version for r in recorded] == [1, 2, 3]
    assert [r.envelope for r in recorded] == events
    assert recorded[1].prev_hash == recorded[0].hash


async def test_concurrent_appends_exactly_one_wins(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store.append("s-1", 0, [event()])
    results = await asyncio.gather(
        *(store.append("s-1", 1, [event(n=i)]) for i in range(2)), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["ConcurrencyConflict", "int"]
    conflict = next(r for r in results if isinstance(r, ConcurrencyConflict))
    assert (conflict.stream_id, conflict.expected, conflict.actual) == ("s-1", 1, 2)
    assert [r.version for r in await store.read("s-1")] == [1, 2]


async def test_batch_append_is_all_or_nothing(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store.append("b", 0, [event()])
    with pytest.raises(ConcurrencyConflict):
        await store.append_batch([StreamAppend("a", 0, [event()]), StreamAppend("b", 0, [event()])])
    assert await store.read("a") == []


@pytest.mark.parametrize("statement", ["UPDATE events SET event_type = 'X'", "DELETE FROM events"])
async def test_database_refuses_update_and_delete(pool: asyncpg.Pool, statement: str) -> None:
    await EventStore(pool).append("s-1", 0, [event()])
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute(statement)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("TRUNCATE events")


async def test_app_role_has_no_update_or_delete_grant(stack, schema_name: str) -> None:  # type: ignore[no-untyped-def]
    """With a separate owner, the services' role lacks the privilege even without triggers."""
    role = "app_" + schema_name
    admin = await asyncpg.connect(stack.database_url)
    await admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{role}'")
    await admin.close()
    await migrate_async(stack.database_url, schema_name, app_role=role)
    app_pool = await asyncpg.create_pool(
        _as_role(stack.database_url, role),
        server_settings={"search_path": schema_name},
        min_size=1,
        max_size=2,
    )
    try:
        await EventStore(app_pool).append("s-1", 0, [event()])
        async with app_pool.acquire() as conn:
            for statement in ("UPDATE events SET event_type = 'X'", "DELETE FROM events"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                    await conn.execute(statement)
    finally:
        await app_pool.close()


async def test_verify_finds_an_event_altered_behind_the_librarys_back(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    for stream in ("s-1", "s-2"):
        await store.append(stream, 0, [event(n=i) for i in range(3)])
    assert await verify(pool) == []
    async with pool.acquire() as superuser, triggers_off(superuser):
        # A superuser can switch the triggers off: exactly what verify must catch.
        await superuser.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{outputs,n}', '99')"
            " WHERE stream_id = 's-2' AND version = 2"
        )
        await superuser.execute("DELETE FROM events WHERE stream_id = 's-1' AND version = 2")
    found = {(t.stream_id, t.version, t.problem) for t in await verify(pool)}
    assert found == {
        ("s-2", 2, "content does not match hash"),
        ("s-1", 2, "event missing"),
        ("s-1", 3, "prev_hash does not link"),
    }


def _as_role(dsn: str, role: str) -> str:
    parts = urlsplit(dsn)
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return urlunsplit(parts._replace(netloc=f"{role}:{role}@{host}"))


async def test_concurrent_appends_are_committed_together_each_with_its_own_answer(
    pool: asyncpg.Pool,
) -> None:
    store = EventStore(pool)
    await store.append("taken", 0, [event()])
    streams = [f"s-{n}" for n in range(60)]
    answers = await asyncio.gather(
        *(store.append(s, 0, [event(n=n)]) for n, s in enumerate(streams)),
        store.append("taken", 0, [event()]),  # behind: refused alone
        return_exceptions=True,
    )
    assert answers[:-1] == [1] * len(streams)
    assert isinstance(answers[-1], ConcurrencyConflict) and answers[-1].stream_id == "taken"
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM events WHERE stream_id = ANY($1::text[])", streams
        )
        # every row of a transaction has its start time: fewer transactions than appends
        transactions = await conn.fetchval(
            "SELECT count(DISTINCT recorded_at) FROM events WHERE stream_id = ANY($1::text[])",
            streams,
        )
    assert stored == len(streams)
    assert transactions < len(streams) / 4
