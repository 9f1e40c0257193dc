"""Reading logs and following one as it grows, on the real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskFailed
from eventlog.migrate import migrate_async
from eventlog.reading import (
    ServiceLogs,
    log_head,
    read_after,
    stream_head,
    streams_ending_with,
)
from eventlog.store import Connection, EventStore
from eventlog.tailing import follow
from tests.conftest import Stack
from tests.helpers import event


def failed(application_id: object) -> Envelope:
    key = f"{application_id}:amr-licence:1"
    return Envelope.new(
        SubtaskFailed(subtask="amr-licence", department="amr", filing_key=key, error="gone"),
        application_id=application_id,
        producer="test",
    )


async def test_a_stream_head_a_log_head_and_what_lies_past_a_position(
    pool: asyncpg.Pool,
) -> None:
    store, app = EventStore(pool), uuid7()
    async with pool.acquire() as conn:
        assert await log_head(conn) == 0
        assert (await stream_head(conn, "filing-a")).version == 0
    first = event(app, 0)
    await store.append("filing-a", 0, [first, event(app, 1)])
    await store.append("notice-b", 0, [event(app, 2)])
    await store.append("lookup-c", 0, [event(app, 3)])
    async with pool.acquire() as conn:
        head = await stream_head(conn, "filing-a")
        assert (head.version, head.first_traceparent) == (2, first.traceparent)
        assert await log_head(conn) == 4
        every = await read_after(conn, 1, 10)
        assert [r.stream_id for r in every] == ["filing-a", "notice-b", "lookup-c"]
        chosen = await read_after(conn, 0, 10, stream_prefixes=("filing-", "lookup-"))
        assert [r.stream_id for r in chosen] == ["filing-a", "filing-a", "lookup-c"]
        assert [r.stream_id for r in await read_after(conn, 0, 1)] == ["filing-a"]


async def test_streams_whose_last_event_is_of_a_type(pool: asyncpg.Pool) -> None:
    store, app = EventStore(pool), uuid7()
    await store.append("s-open", 0, [event(app, 0)])
    await store.append("s-closed", 0, [event(app, 1), failed(app)])
    await store.append("s-open-later", 0, [failed(app), event(app, 2)])
    async with pool.acquire() as conn:
        ends = await streams_ending_with(conn, "SubtaskCompleted", 0, 10)
        assert [(e.stream_id, e.position) for e in ends] == [("s-open", 1), ("s-open-later", 5)]
        assert [
            e.stream_id for e in await streams_ending_with(conn, "SubtaskCompleted", 2, 10)
        ] == ["s-open-later"]


@dataclass
class TwoLogs:
    conn: asyncpg.Connection
    stores: dict[str, EventStore]


@pytest.fixture
async def two_logs(stack: Stack) -> AsyncIterator[TwoLogs]:
    conn = await asyncpg.connect(stack.database_url)
    stores, pools = {}, []
    for schema in ["t_" + uuid7().hex[-12:] for _ in range(2)]:
        await migrate_async(stack.database_url, schema)
        pools.append(
            await asyncpg.create_pool(
                stack.database_url, min_size=1, max_size=2, server_settings={"search_path": schema}
            )
        )
        stores[schema] = EventStore(pools[-1])
    yield TwoLogs(conn, stores)
    for pool in pools:
        await pool.close()
    await conn.close()


async def test_other_services_logs_in_time_order(two_logs: TwoLogs) -> None:
    conn, (first, second) = two_logs.conn, list(two_logs.stores)
    app, other = uuid7(), uuid7()
    e1, e2, e3, e4 = event(app, 1), event(app, 2), event(other, 3), event(app, 4)
    await two_logs.stores[first].append("a", 0, [e1])
    await two_logs.stores[second].append("b", 0, [e2, e3])
    await two_logs.stores[first].append("c", 0, [e4])
    logs = ServiceLogs(conn, [first, second, "t_missing"])
    assert await logs.readable() == ([first, second], ["t_missing"])
    about = await logs.of_application(app)
    assert [(schema, r.envelope.event_id) for schema, r in about] == [
        (first, e1.event_id),
        (second, e2.event_id),
        (first, e4.event_id),
    ]
    pages = [page async for page in logs.in_time_order(page=3)]
    assert [[r.envelope.event_id for r in p] for p in pages] == [
        [e1.event_id, e2.event_id, e3.event_id],
        [e4.event_id],
    ]
    both = ServiceLogs(conn, [first, second])
    assert await both.heads() == {first: 2, second: 2}
    assert await both.counts_after({first: 1, second: 0}) == {first: 1, second: 2}
    with pytest.raises(ValueError, match="not a schema name"):
        ServiceLogs(conn, ['x"; DROP TABLE events; --'])


async def test_a_follower_reads_on_every_append_and_outlives_its_listening_session(
    pool: asyncpg.Pool,
) -> None:
    store, app = EventStore(pool), uuid7()
    seen: list[str] = []
    position = 0
    stop = asyncio.Event()
    listeners: list[int] = []

    async def step(listener: Connection) -> bool:
        nonlocal position
        listeners.append(listener.get_server_pid())
        async with pool.acquire() as conn:
            batch = await read_after(conn, position, 2)
        seen.extend(r.stream_id for r in batch)
        position = batch[-1].position if batch else position
        return len(batch) == 2  # a full batch: more may be waiting

    following = asyncio.create_task(follow(pool, step, stop, rescan_seconds=3600))

    async def seen_all(n: int) -> None:
        async with asyncio.timeout(10):
            while len(seen) < n:
                await asyncio.sleep(0.02)

    await store.append("s-1", 0, [event(app, n) for n in range(5)])  # woken, then 3 steps
    await seen_all(5)
    async with pool.acquire() as admin:
        await admin.execute("SELECT pg_terminate_backend($1)", listeners[-1])
    await asyncio.sleep(0.5)
    await store.append("s-2", 0, [event(app, 9)])  # heard on a new session
    await seen_all(6)
    stop.set()
    await asyncio.wait_for(following, 5)
    assert seen == ["s-1"] * 5 + ["s-2"]
    assert len(set(listeners)) == 2
