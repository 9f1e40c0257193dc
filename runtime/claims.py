"""Claims: which pieces of work (a notice to send, a filing to work) a process is on now, so
that another process of the same service — a replica — skips them.

A claim is a session advisory lock, named by a namespace (the kind of work) and the work's key
(two 32-bit hashes: a collision only makes one piece of work wait for another), on one
connection of the claimer's own. A process that crashes loses its claims with its connection,
and a connection given back to the pool is reset, which unlocks them too. A claimer whose
connection ended holds nothing any more: it sees `ended` set and must stop working on what it
claimed.
"""

from __future__ import annotations

import asyncio

import structlog

from eventlog.store import DATABASE_AWAY, Connection

log = structlog.get_logger()

_LOCK = "SELECT pg_try_advisory_lock(hashtext($1), hashtext($2))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtext($1), hashtext($2))"


class Claims:
    def __init__(self, conn: Connection) -> None:
        self.conn, self.open = conn, True
        self.ended = asyncio.Event()
        self._serial = asyncio.Lock()  # one connection runs one query at a time
        conn.add_termination_listener(self._on_ended)

    async def claim(self, namespace: str, key: str) -> bool:
        """True if this process now holds `key`; False if another one does."""
        async with self._serial:
            return bool(await self.conn.fetchval(_LOCK, namespace, key))

    async def release(self, namespace: str, key: str) -> None:
        """Never raises: a claim that cannot be released ends with its connection."""
        async with self._serial:
            if not self.open:
                return
            try:
                await self.conn.execute(_UNLOCK, namespace, key)
            except DATABASE_AWAY as exc:  # its claims, if it held any, ended with it
                log.warning("claim not released; it ends with its connection", error=str(exc))

    def close(self) -> None:
        """No more releases: the connection goes back to the pool, whose reset unlocks all."""
        self.open = False
        if not self.ended.is_set():  # an ended connection dropped its listeners itself
            self.conn.remove_termination_listener(self._on_ended)

    def _on_ended(self, *_: object) -> None:
        self.ended.set()
