"""Claims on the real PostgreSQL: two claimers on their own connections, as two replicas of a
service are; what one holds the other is refused until it is released or its holder is gone.
Claims asked together go in one statement, and each gets its own answer."""

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


async def test_claims_asked_together_each_get_their_own_answer(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as one, pool.acquire() as other:
        mine, theirs = Claims(one, "test.work"), Claims(other, "test.work")
        assert all(await asyncio.gather(*(theirs.claim(f"odd-{i}") for i in range(1, 40, 2))))
        keys = [f"{'odd' if i % 2 else 'even'}-{i}" for i in range(40)]
        answers = await asyncio.gather(*(mine.claim(k) for k in keys))
        assert answers == [i % 2 == 0 for i in range(40)]
        # a release and a claim of one key asked together: still held after
        await asyncio.gather(mine.release("even-0"), mine.claim("even-0"))
        assert not await theirs.claim("even-0")
        await asyncio.gather(*(mine.release(k) for k in keys[::2]))
        assert all(await asyncio.gather(*(theirs.claim(k) for k in keys[::2])))
        mine.close()
        theirs.close()
