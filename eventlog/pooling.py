"""Pooled sessions that are reset in full only when they hold session state.

A connection given back to an asyncpg pool is reset by default with `SELECT
pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` — a round trip and four
statements on every release, though almost every use is one transaction that leaves nothing
behind (asyncpg rolls back an open one in any case). The few uses that do leave session state
(a session advisory lock: a claim, the relay's or the signer's lock; a LISTEN) say so with
`holding_session_state(conn)`, and only those are reset in full when given back, so a lock
or a listener never outlives its holder's hold of the connection.
"""

from __future__ import annotations

from typing import Any

import asyncpg


class PooledConnection(asyncpg.Connection):
    _holds_session_state = False

    def holds_session_state(self) -> None:
        self._holds_session_state = True


def holding_session_state(conn: Any) -> None:
    """Mark `conn` (a pooled connection or its proxy) to be reset in full when given back.
    A connection of another kind is reset by its owner."""
    mark = getattr(conn, "holds_session_state", None)
    if mark is not None:
        mark()


async def reset_when_given_back(conn: asyncpg.Connection) -> None:
    if isinstance(conn, PooledConnection) and conn._holds_session_state:
        await conn.execute(conn.get_reset_query())
        conn._holds_session_state = False


def pooling(**create_pool: Any) -> dict[str, Any]:
    """`asyncpg.create_pool` arguments for such a pool."""
    return {**create_pool, "connection_class": PooledConnection, "reset": reset_when_given_back}
