"""Pooled sessions on the real PostgreSQL: one that held session state (an advisory lock, a
LISTEN) is reset in full when given back; one used for transactions alone is not."""

from __future__ import annotations

import asyncpg

from eventlog.pooling import holding_session_state, pooling
from tests.conftest import Stack


async def one_session_pool(stack: Stack) -> asyncpg.Pool:
    return await asyncpg.create_pool(stack.database_url, **pooling(min_size=1, max_size=1))


async def test_a_session_holding_a_lock_and_a_listener_gives_both_up(stack: Stack) -> None:
    pool = await one_session_pool(stack)
    try:
        async with pool.acquire() as conn:
            holding_session_state(conn)
            assert await conn.fetchval("SELECT pg_try_advisory_lock(4242)")
            await conn.execute("LISTEN test_pooling")
        async with pool.acquire() as conn:  # the same session, given back and taken again
            assert await conn.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
            held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = $1"
            assert await conn.fetchval(held, conn.get_server_pid()) == 0
    finally:
        await pool.close()


async def test_a_session_used_for_transactions_is_given_back_as_it_is(stack: Stack) -> None:
    pool = await one_session_pool(stack)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SET application_name = 'kept'")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW application_name") == "kept"
            async with conn.transaction():
                await conn.execute("SELECT 1")
            holding_session_state(conn)
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW application_name") != "kept"
    finally:
        await pool.close()
