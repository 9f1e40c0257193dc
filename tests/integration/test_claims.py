"""Claims on the real PostgreSQL: two claimers on their own connections, as two replicas of a
service are; what one holds the other is refused until it is released or its holder is gone."""

from __future__ import annotations

import asyncio

import asyncpg

from runtime.claims import Claims


async def test_a_claim_is_held_by_one_claimer_until_released(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as one, pool.acquire() as other:
        first, second = Claims(one), Claims(other)
        assert await first.claim("test.work", "filing-1")
        assert not await second.claim("test.work", "filing-1")
        assert await second.claim("test.work", "filing-2")  # another key
        assert await second.claim("test.other", "filing-1")  # another namespace
        await first.release("test.work", "filing-1")
        assert await second.claim("test.work", "filing-1")
        for claims in (first, second):
            claims.close()


async def test_a_claimer_whose_session_ends_holds_nothing_and_knows_it(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as one, pool.acquire() as other:
        doomed, survivor = Claims(one), Claims(other)
        assert await doomed.claim("test.work", "filing-1")
        assert not await survivor.claim("test.work", "filing-1")
        await other.execute("SELECT pg_terminate_backend($1)", one.get_server_pid())
        async with asyncio.timeout(10):
            await doomed.ended.wait()
        assert await survivor.claim("test.work", "filing-1")
        await doomed.release("test.work", "filing-1")  # quietly: the claim ended with the session
        assert not survivor.ended.is_set()
        survivor.close()
