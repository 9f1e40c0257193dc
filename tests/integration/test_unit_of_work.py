"""The unit of work on PostgreSQL, held to the same behaviour as the in-memory one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from asyncpg.transaction import Transaction

from eventlog.unit_of_work import PostgresUnitOfWork, StreamCache, UnitOfWork
from tests.helpers import event
from tests.unit_of_work_contract import Notes, UnitOfWorkContract


class TestPostgresUnitOfWork(UnitOfWorkContract):
    @pytest.fixture(autouse=True)
    async def _connections(self, pool: asyncpg.Pool) -> AsyncIterator[None]:
        self.pool, self._notes = pool, Notes()
        self.open: dict[UnitOfWork, tuple[asyncpg.Connection, Transaction]] = {}
        yield
        for conn, transaction in self.open.values():
            await transaction.rollback()  # those not committed: their locks go with them
            await self.pool.release(conn)

    async def unit(self) -> UnitOfWork:
        conn = await self.pool.acquire()
        transaction = conn.transaction()
        await transaction.start()
        uow = PostgresUnitOfWork(conn, {Notes: lambda _: self._notes})
        self.open[uow] = (conn, transaction)
        return uow

    async def commit(self, uow: UnitOfWork) -> None:
        conn, transaction = self.open.pop(uow)
        try:
            await uow.commit()
            await transaction.commit()
        except BaseException:
            await transaction.rollback()
            raise
        finally:
            await self.pool.release(conn)
        for action in uow.committed_actions:
            action()

    def notes(self) -> Notes:
        return self._notes


async def test_a_cache_keeps_only_what_committed(pool: asyncpg.Pool) -> None:
    cache = StreamCache()
    async with pool.acquire() as conn:
        async with conn.transaction():
            first = PostgresUnitOfWork(conn, cache=cache)
            first.append("s", 0, [event(n=1)])
            await first.commit()
        for action in first.committed_actions:
            action()
        assert [e.payload["outputs"]["n"] for e in cache.get("s")] == [1]
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                doomed = PostgresUnitOfWork(conn, cache=cache)
                doomed.append("s", 1, [event(n=2)])
                await doomed.commit()
                raise RuntimeError("rolled back")
        assert len(cache.get("s")) == 1  # its actions never ran: the cache never saw n=2
        async with conn.transaction():
            other = PostgresUnitOfWork(conn)  # another replica, no cache of ours
            other.append("s", 1, [event(n=3)])
            await other.commit()
        async with conn.transaction():
            again = await PostgresUnitOfWork(conn, cache=cache).read("s")
    assert [e.payload["outputs"]["n"] for e in again.events] == [1, 3]
    assert [e.payload["outputs"]["n"] for e in cache.get("s")] == [1, 3]
