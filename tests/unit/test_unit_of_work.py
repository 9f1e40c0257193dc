"""The in-memory unit of work handler tests use behaves as the one on PostgreSQL."""

from __future__ import annotations

import pytest

from eventlog.unit_of_work import InMemoryLog, InMemoryUnitOfWork, UnitOfWork
from tests.unit_of_work_contract import Notes, UnitOfWorkContract


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    @pytest.fixture(autouse=True)
    def _log(self) -> None:
        self.log, self._notes = InMemoryLog(), Notes()

    async def unit(self) -> UnitOfWork:
        return InMemoryUnitOfWork(self.log, derived=[self._notes])

    async def commit(self, uow: UnitOfWork) -> None:
        await uow.commit()

    def notes(self) -> Notes:
        return self._notes
