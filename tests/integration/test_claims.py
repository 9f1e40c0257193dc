"""Claims on the real PostgreSQL: two claimers on their own connections, as two replicas of a
service are; what one holds the other is refused until it is released or its holder is gone."""

from __future__ import annotations

import asyncio

import asyncpg

from runtime.claims import Claims


async def test_a_claim_is_held_by_one_claimer_until_released(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as one, pool.acquire() as other:
        first, second = Claims(one, "test.work"), Claims(other, "test.work")
        other_kind = Claims(other, "test.other", beside=second)
        assert await first.claim("filing-1")
        assert not await second.claim("filing-1")
        assert await second.claim("filing-2")  # another key
        assert await other_kind.claim("filing-1")  # another kind of work
        await first.release("filing-1")
        assert await second.claim("filing-1")
        for claims in (first, second, other_kind):
            claims.close()


async def test_a_claimer_whose_session_ends_holds_nothing_and_knows_it(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as one, pool.acquire() as other:
        doomed, survivor = Claims(one, "test.work"), Claims(other, "test.work")
        beside = Claims(one, "test.other", beside=doomed)
        assert await doomed.claim("filing-1")
        assert not await survivor.claim("filing-1")
        await other.execute("SELECT pg_terminate_backend($1)", one.get_server_pid())
        async with asyncio.timeout(10):
            await beside.ended.wait()  # the same session's end, whatever kind of work
        assert await survivor.claim("filing-1")
        await doomed.release("filing-1")  # quietly: the claim ended with the session
        doomed.close()  # the session went back to the pool when it ended
        assert not survivor.ended.is_set()
        survivor.close()
