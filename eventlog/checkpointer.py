"""Signs checkpoints of one service's event log: what was appended since the last checkpoint
goes into the Merkle tree, the new tree head is signed, written to the checkpoint file (the
record of truth outside PostgreSQL) and then published (Kafka, a second copy elsewhere).

It only reads the log (plain MVCC reads, no lock an append waits for), tailing `position` as
the relay does: positions become visible in order (eventlog/store.py), so none is skipped.
One signer per log at a time: each round holds a session advisory lock, and starts from the
file's last line, so the services' signer and `onewindow checkpoint` take turns. Nothing new
since the last checkpoint: nothing is signed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.checkpoint import SignedCheckpoint
from eventlog.checkpoint_file import CheckpointFile, CheckpointLine
from eventlog.merkle import Frontier, Leaf
from eventlog.pooling import holding_session_state
from eventlog.signing import sign
from eventlog.store import Connection

log = structlog.get_logger()

MAX_ENTRIES = 10_000  # events per checkpoint: bounds a file line (~1.3 MB) and the memory
_SLICE = 256  # leaves hashed between two turns of the event loop
_NEW_EVENTS = """
    SELECT position, stream_id, version, hash FROM events
    WHERE position > $1 ORDER BY position LIMIT $2
"""


class Checkpointer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        log_name: str,
        key: Ed25519PrivateKey,
        file: CheckpointFile,
        *,
        publish: Callable[[SignedCheckpoint], Awaitable[None]] | None = None,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.pool, self.log_name, self.key, self.file = pool, log_name, key, file
        self.publish, self.max_entries = publish, max_entries
        self.unpublished: list[SignedCheckpoint] = []

    async def checkpoint(self, *, wait: float = 0.0) -> list[SignedCheckpoint]:
        """Sign what is new (several checkpoints when more than `max_entries` events are);
        `wait`: how long to wait for another signer of this log, else skip this round."""
        signed: list[SignedCheckpoint] = []
        async with self.pool.acquire() as conn:
            holding_session_state(conn)
            if not await self._lock(conn, wait):
                return signed
            try:
                signed = await self._sign_new(conn)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", self._lock_name)
        self.unpublished.extend(signed)
        await self._publish_pending()
        return signed

    @property
    def _lock_name(self) -> str:
        return "checkpoint:" + self.log_name

    async def _lock(self, conn: Connection, wait: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self._lock_name):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def _sign_new(self, conn: Connection) -> list[SignedCheckpoint]:
        last = await asyncio.to_thread(self.file.last)
        seq, position, frontier = 0, 0, Frontier()
        if last is not None:
            seq, position = last.checkpoint.seq, last.checkpoint.position
            frontier = Frontier(list(last.frontier))
            await self._still_as_signed(conn, last)
        signed = []
        while rows := await conn.fetch(_NEW_EVENTS, position, self.max_entries):
            leaves = tuple(
                Leaf(r["position"], r["stream_id"], r["version"], r["hash"]) for r in rows
            )
            # On the event loop, a slice at a time: hashing in a thread held the GIL against
            # the service's own work, which then stalled for seconds each round.
            for start in range(0, len(leaves), _SLICE):
                frontier.extend(leaves[start : start + _SLICE])
                await asyncio.sleep(0)
            seq, position = seq + 1, leaves[-1].position
            signed.append(await asyncio.to_thread(self._sign_and_write, seq, frontier, leaves))
            if len(rows) < self.max_entries:
                break
        return signed

    def _sign_and_write(
        self, seq: int, frontier: Frontier, leaves: tuple[Leaf, ...]
    ) -> SignedCheckpoint:
        checkpoint = sign(
            self.key,
            log=self.log_name,
            seq=seq,
            tree_size=frontier.size,
            position=leaves[-1].position,
            root=frontier.root(),
        )
        self.file.append(CheckpointLine(checkpoint, leaves, tuple(frontier.subtrees)))
        return checkpoint

    async def _still_as_signed(self, conn: Connection, last: CheckpointLine) -> None:
        """An early alarm, not the audit (that is `onewindow verify`): the last event signed
        must still be there with the hash signed. Signing goes on either way: the tree only
        grows, so the checkpoints already out keep proving what the log was."""
        if not last.entries:
            return
        signed = last.entries[-1]
        found = await conn.fetchrow(
            "SELECT stream_id, version, hash FROM events WHERE position = $1", signed.position
        )
        if found is None or (found["stream_id"], found["version"], found["hash"]) != (
            signed.stream_id, signed.version, signed.hash
        ):  # fmt: skip
            log.error(
                "THE EVENT LOG DIFFERS FROM ITS LAST CHECKPOINT: run `onewindow verify`",
                log_name=self.log_name,
                checkpoint=last.checkpoint.seq,
                position=signed.position,
            )

    async def _publish_pending(self) -> None:
        """Publish in order; what fails waits for the next round (the file has it)."""
        while self.publish is not None and self.unpublished:
            try:
                await self.publish(self.unpublished[0])
            except Exception as exc:  # the broker is away: the file is the record meanwhile
                log.warning(
                    "checkpoint not published yet",
                    seq=self.unpublished[0].seq,
                    error=f"{type(exc).__name__}: {exc}",
                )
                return
            self.unpublished.pop(0)
