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
from dataclasses import dataclass, field

import asyncpg
import structlog

from eventlog.pooling import holding_session_state
from eventlog.store import DATABASE_AWAY, Connection

log = structlog.get_logger()

# Claims and releases asked for while one statement is under way go together in the next:
# a round trip per batch, not per claim. A session's advisory locks count (one may be taken
# twice and is held until released as often), so the order within a batch changes nothing: a
# claim of a key released in the same batch still holds it after.
_CLAIM_AND_RELEASE = """
    SELECT CASE WHEN t.claim THEN pg_try_advisory_lock(hashtext(t.namespace), hashtext(t.key))
                ELSE pg_advisory_unlock(hashtext(t.namespace), hashtext(t.key)) END
    FROM unnest($1::text[], $2::text[], $3::bool[]) WITH ORDINALITY
         AS t(namespace, key, claim, n)
    ORDER BY t.n
"""


@dataclass
class _Asked:
    namespace: str
    key: str
    claim: bool
    answer: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class _Session:
    """The session claims are held on, and what is asked of it next."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.ended = asyncio.Event()
        self._asked: list[_Asked] = []
        self._sender: asyncio.Task[None] | None = None
        holding_session_state(conn)
        conn.add_termination_listener(self.on_ended)

    async def ask(self, asked: _Asked) -> bool:
        self._asked.append(asked)
        if self._sender is None or self._sender.done():
            # a task of its own: a caller cancelled while waiting leaves the others served
            self._sender = asyncio.create_task(self._send_all())
        return await asyncio.shield(asked.answer)

    async def _send_all(self) -> None:
        while self._asked:
            batch, self._asked = self._asked, []
            try:
                answers = await self.conn.fetch(
                    _CLAIM_AND_RELEASE,
                    [a.namespace for a in batch],
                    [a.key for a in batch],
                    [a.claim for a in batch],
                )
            except BaseException as exc:
                for asked in [*batch, *self._asked]:
                    if not asked.answer.done():
                        asked.answer.set_exception(exc)
                self._asked = []
                if not isinstance(exc, Exception):
                    raise
                return
            for asked, row in zip(batch, answers, strict=True):
                asked.answer.set_result(bool(row[0]))

    def on_ended(self, *_: object) -> None:
        self.ended.set()


class Claims:
    """Claims of one kind of work held by one session; `beside`: claims of another kind on
    the same session. Once the session is given up (`close`), releasing is left to its end."""

    def __init__(self, conn: Connection, namespace: str, beside: Claims | None = None) -> None:
        self.conn, self.namespace, self.open = conn, namespace, True
        self._owns_session = beside is None
        self._session: _Session = _Session(conn) if beside is None else beside._session
        self.ended: asyncio.Event = self._session.ended

    async def claim(self, key: str) -> bool:
        """True if this process now holds `key`; False if another one does."""
        return await self._session.ask(_Asked(self.namespace, key, claim=True))

    async def release(self, key: str) -> None:
        """Never raises: a claim that cannot be released ends with its session."""
        if not self.open:
            return
        try:
            await self._session.ask(_Asked(self.namespace, key, claim=False))
        except (*DATABASE_AWAY, asyncpg.PostgresError) as exc:
            log.warning("claim not released; it ends with its session", error=str(exc))

    def close(self) -> None:
        self.open = False
        if self._owns_session:
            # an ended connection dropped its listeners itself; one given back cannot be asked
            with contextlib.suppress(asyncpg.InterfaceError):
                self.conn.remove_termination_listener(self._session.on_ended)
