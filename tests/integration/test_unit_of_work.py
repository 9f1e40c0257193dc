"""The unit of work on PostgreSQL, held to the same behaviour as the in-memory one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from eventlog.unit_of_work import PostgresUnitOfWork, UnitOfWork
from tests.unit_of_work_contract import Notes, UnitOfWorkContract


class TestPostgresUnitOfWork(UnitOfWorkContract):
    @pytest.fixture(autouse=True)
    async def _connections(self, pool: asyncpg.Pool) -> AsyncIterator[None]:
        self.pool, self._notes = pool, Notes()
        self.open: list[tuple[asyncpg.Connection, object]] = []
        yield
        for conn, transaction in self.open:
            if not transaction.is_completed():  # type: ignore[attr-defined]
                await transaction.rollback()  # type: ignore[attr-defined]
            await self.pool.release(conn)

    async def unit(self) -> UnitOfWork:
        conn = await self.pool.acquire()
        transaction = conn.transaction()
        await transaction.start()
        self.open.append((conn, transaction))
        return PostgresUnitOfWork(conn, {Notes: lambda _: self._notes})

    async def commit(self, uow: UnitOfWork) -> None:
        await uow.commit()
        transaction = next(t for c, t in self.open if c is uow._conn)  # type: ignore[attr-defined]
        await transaction.commit()  # type: ignore[attr-defined]
        for action in uow.committed_actions:
            action()

    def notes(self) -> Notes:
        return self._notes
