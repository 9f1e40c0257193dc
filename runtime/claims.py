"""Claims: which pieces of work (a notice to send, a filing to work) a process is on now, so
that another process of the same service — a replica — skips them.

A claim is a session advisory lock, named by the kind of work (a namespace) and the work's
key (two 32-bit hashes: a collision only makes one piece of work wait for another), on one
session of the claimer's own. A process that crashes loses its claims with its session, and a
connection given back to the pool is reset, which unlocks them too. A claimer whose session
ended holds nothing any more: it sees `ended` set and must not go on as if it held them.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from eventlog.pooling import holding_session_state
from eventlog.store import DATABASE_AWAY, Connection

log = structlog.get_logger()

_LOCK = "SELECT pg_try_advisory_lock(hashtext($1), hashtext($2))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtext($1), hashtext($2))"


class Claims:
    """Claims of one kind of work held by one session; `beside`: claims of another kind on
    the same session. Once the session is given up (`close`), releasing is left to its end."""

    def __init__(self, conn: Connection, namespace: str, beside: Claims | None = None) -> None:
        self.conn, self.namespace, self.open = conn, namespace, True
        self.ended: asyncio.Event = beside.ended if beside else asyncio.Event()
        # one connection runs one query at a time
        self._serial: asyncio.Lock = beside._serial if beside else asyncio.Lock()
        if beside is None:
            holding_session_state(conn)
            conn.add_termination_listener(self._on_ended)

    async def claim(self, key: str) -> bool:
        """True if this process now holds `key`; False if another one does."""
        async with self._serial:
            return bool(await self.conn.fetchval(_LOCK, self.namespace, key))

    async def release(self, key: str) -> None:
        """Never raises: a claim that cannot be released ends with its session."""
        async with self._serial:
            if not self.open:
                return
            try:
                await self.conn.execute(_UNLOCK, self.namespace, key)
            except (*DATABASE_AWAY, asyncpg.PostgresError) as exc:
                log.warning("claim not released; it ends with its session", error=str(exc))

    def close(self) -> None:
        self.open = False
        # an ended connection dropped its listeners itself; one given back cannot be asked
        with contextlib.suppress(asyncpg.InterfaceError):
            self.conn.remove_termination_listener(self._on_ended)

    def _on_ended(self, *_: object) -> None:
        self.ended.set()
