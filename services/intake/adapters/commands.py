"""The unit of work of intake's commands: the event log's unit of work (the application's
stream and the read model it feeds) together with the rows a command looks up under it —
the application it locks, the idempotency key it claims, the follow-up case it closes.

`CommandUnitOfWork` is the port the handlers are written against; `PostgresCommands` runs
it in one transaction on one pooled connection, and the handlers' unit tests run it on
fakes (tests/unit/test_intake_handlers.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Protocol
from uuid import UUID

import asyncpg

from eventlog.store import Connection
from eventlog.unit_of_work import PostgresUnitOfWork, UnitOfWork
from services.intake.adapters import idempotency
from services.intake.adapters.follow_ups import FollowUpCase, find_case
from services.intake.adapters.idempotency import Remembered
from services.intake.adapters.projection import ReadModel
from services.intake.adapters.queries import ApplicationState, lock_application
from services.intake.domain.callers import Caller


class Applications(Protocol):
    async def lock(self, caller: Caller, application_id: UUID) -> ApplicationState | None:
        """The application's state under a lock held to the end of the unit, so commands on
        one application take turns; None when it was not submitted or `caller` may not see
        it."""


class IdempotencyKeys(Protocol):
    async def claim(
        self, client_id: str, key: str, request_sha256: str, application_id: UUID, receipt: str
    ) -> bool:
        """True if the key is now this unit's (written with it, gone if it rolls back)."""

    async def recall(self, client_id: str, key: str) -> Remembered: ...


class FollowUpCases(Protocol):
    async def find(self, case_id: str) -> FollowUpCase | None: ...


class CommandUnitOfWork(ABC):
    """Used as `async with uow:`; what is not committed when the block ends is rolled back.
    `log.after_commit` actions run once the commit succeeded."""

    log: UnitOfWork
    applications: Applications
    keys: IdempotencyKeys
    follow_ups: FollowUpCases

    @abstractmethod
    async def __aenter__(self) -> CommandUnitOfWork: ...

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    @abstractmethod
    async def commit(self) -> None: ...


# What the routes are given to open one command's unit of work on the service's pool.
OpenCommands = Callable[[asyncpg.Pool], CommandUnitOfWork]


class _PostgresApplications:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def lock(self, caller: Caller, application_id: UUID) -> ApplicationState | None:
        return await lock_application(self.conn, caller, application_id)


class _PostgresKeys:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def claim(
        self, client_id: str, key: str, request_sha256: str, application_id: UUID, receipt: str
    ) -> bool:
        return await idempotency.claim(
            self.conn, client_id, key, request_sha256, application_id, receipt
        )

    async def recall(self, client_id: str, key: str) -> Remembered:
        return await idempotency.recall(self.conn, client_id, key)


class _PostgresFollowUps:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def find(self, case_id: str) -> FollowUpCase | None:
        return await find_case(self.conn, case_id)


class PostgresCommands(CommandUnitOfWork):
    """One command's transaction on a connection of `pool`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._stack = AsyncExitStack()
        self._transaction: asyncpg.transaction.Transaction | None = None

    async def __aenter__(self) -> PostgresCommands:
        conn = await self._stack.enter_async_context(self._pool.acquire())
        self._transaction = conn.transaction()
        await self._transaction.start()
        self.log = PostgresUnitOfWork(conn, {ReadModel: ReadModel})
        self.applications = _PostgresApplications(conn)
        self.keys = _PostgresKeys(conn)
        self.follow_ups = _PostgresFollowUps(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None:
                await self._transaction.rollback()
        finally:
            self._transaction = None
            await self._stack.aclose()

    async def commit(self) -> None:
        assert self._transaction is not None, "commit outside `async with`"
        await self.log.commit()
        await self._transaction.commit()
        self._transaction = None
        for action in self.log.committed_actions:
            action()
