"""The delivery worker: follows the notifier's log and sends every prepared notice
(handlers/delivery.py), each by one task of this process at a time.

A notice is pending while NoticePrepared is the last event of its stream. The worker looks
for pending notices on start, when the log announces an append and every `rescan_seconds`
(eventlog/tailing.py). It claims a notice on the session it listens on, so another worker
skips it; claims end with their session, and a new session makes new claims. A crash
between a send and its record sends again after restart: delivery is at least once, and
every send carries the notice stream id as its delivery id so receivers can drop a repeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import asyncpg
import structlog

from eventlog.store import Connection
from eventlog.tailing import first_of, follow
from runtime.claims import Claims
from runtime.clock import SYSTEM_CLOCK, Clock
from services.notifier.adapters.notice_log import NoticeLog
from services.notifier.domain.delivery import Sender
from services.notifier.handlers.delivery import RetryPolicy, deliver

log = structlog.get_logger()


class DeliveryWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        notices: NoticeLog,
        senders: Mapping[str, Sender],
        policy: RetryPolicy,
        *,
        rescan_seconds: float = 30.0,
        concurrency: int = 100,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.pool, self.notices, self.senders, self.policy = pool, notices, senders, policy
        self.rescan_seconds, self.concurrency, self.clock = rescan_seconds, concurrency, clock
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._claims: Claims | None = None  # of the session listened on now
        self._scanning = asyncio.Lock()
        self._from_position = 0  # no notice before this position is pending

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver until `stopping` is set; sends under way finish, back-off waits end. The
        listening session, which holds the claims, is given up only once they finished."""
        finished = asyncio.Event()
        finishing = asyncio.create_task(self._finish_on(stopping, finished))

        async def step(session: Connection) -> bool:
            await self._scan(session, stopping)
            return False  # what is pending is under way: the next look waits for a change

        try:
            await follow(self.pool, step, finished, rescan_seconds=self.rescan_seconds)
        finally:
            finishing.cancel()
            self._give_up_claims()
            await self._sends_finished()

    async def _finish_on(self, stopping: asyncio.Event, finished: asyncio.Event) -> None:
        await stopping.wait()
        async with self._scanning:  # a scan under way has started its sends
            pass
        await self._sends_finished()
        finished.set()

    async def _sends_finished(self) -> None:
        # asyncio.wait, unlike gather, leaves the sends running when this waiter is cancelled
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))

    def _claims_on(self, session: Connection) -> Claims:
        if self._claims is None or self._claims.conn is not session:
            self._give_up_claims()
            self._claims = self.notices.claims(session)
        return self._claims

    def _give_up_claims(self) -> None:
        if self._claims is not None:
            self._claims.close()

    async def _scan(self, session: Connection, stopping: asyncio.Event) -> None:
        async with self._scanning:
            if stopping.is_set():
                return
            claims = self._claims_on(session)
            head = await self.notices.head()
            pending = await self.notices.pending(self._from_position, self.concurrency)
            # Positions follow commit order, so a notice committed later lies beyond `head`.
            self._from_position = pending[0].position if pending else head + 1
            for notice in pending:
                stream = notice.stream_id
                if stream not in self._in_flight and await claims.claim(stream):
                    task = asyncio.create_task(self._deliver(stream, claims, stopping))
                    self._in_flight[stream] = task

    async def _deliver(self, stream_id: str, claims: Claims, stopping: asyncio.Event) -> None:
        try:
            await deliver(
                stream_id,
                self.notices,
                self.senders,
                self.policy,
                lambda delay: first_of(stopping, timeout=delay),
                self.clock,
            )
        except Exception:
            log.exception("delivery broke off; the next scan tries again", stream=stream_id)
        finally:
            self._in_flight.pop(stream_id, None)
            await claims.release(stream_id)
