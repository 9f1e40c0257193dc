"""The unit of work on PostgreSQL, held to the same behaviour as the in-memory one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from asyncpg.transaction import Transaction

from eventlog.unit_of_work import PostgresUnitOfWork, UnitOfWork
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
