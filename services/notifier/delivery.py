"""The delivery workers: send every prepared notice, retry with backoff, record the end.

A notice is pending while NoticePrepared is the last event of its stream. Workers find
pending notices on start, when the log announces an append (LISTEN), and every
`rescan_seconds`; each notice is sent by one task of this process at a time, and its end
is appended at version 2, so of two workers only one records. A crash between a send and
its record sends again after restart: delivery is at least once, and every send carries
the notice stream id as its delivery id so receivers can drop a repeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import asyncpg
import structlog

from contracts.envelope import Envelope
from eventlog.store import ConcurrencyConflict
from runtime.claims import Claims
from runtime.tracing import continuing
from services.notifier import SERVICE, metrics
from services.notifier.adapters.notice_log import NoticeLog
from services.notifier.attempts import RetryPolicy, attempt_delivery
from services.notifier.domain.delivery import Sender
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.recipients import mask

log = structlog.get_logger()
NOTICE_CLAIMS = "onewindow.notice"


class DeliveryWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        senders: Mapping[str, Sender],
        policy: RetryPolicy,
        *,
        rescan_seconds: float = 30.0,
        concurrency: int = 100,
    ) -> None:
        self.pool, self.notices, self.senders, self.policy = pool, NoticeLog(pool), senders, policy
        self.rescan_seconds, self.concurrency = rescan_seconds, concurrency
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._from_position = 0  # no notice before this position is pending

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver until `stopping` is set; sends under way finish, backoff waits end."""
        while not stopping.is_set():
            try:
                await self._listen_and_scan(stopping)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.error("notice scan failed; retrying", error=f"{type(exc).__name__}: {exc}")
                await wait_for_any(stopping, timeout=min(self.rescan_seconds, 5.0))
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _listen_and_scan(self, stopping: asyncio.Event) -> None:
        async with self.pool.acquire() as listener:
            channel = str(await listener.fetchval("SELECT current_schema()")) + ".events"
            await listener.add_listener(channel, self._on_notify)
            claims = Claims(listener)
            try:
                while not stopping.is_set():
                    self._wake.clear()
                    await self._scan(claims, stopping)
                    await wait_for_any(self._wake, stopping, timeout=self.rescan_seconds)
                await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
            finally:
                claims.close()
                await listener.remove_listener(channel, self._on_notify)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _scan(self, claims: Claims, stopping: asyncio.Event) -> None:
        head = await self.notices.head()
        pending = await self.notices.pending(self._from_position, self.concurrency)
        # Positions follow commit order, so a notice committed later lies beyond `head`.
        self._from_position = pending[0].position if pending else head + 1
        for notice in pending:
            stream = notice.stream_id
            if stream not in self._in_flight and await claims.claim(NOTICE_CLAIMS, stream):
                task = asyncio.create_task(self._deliver(stream, claims, stopping))
                self._in_flight[stream] = task

    async def _deliver(self, stream_id: str, claims: Claims, stopping: asyncio.Event) -> None:
        try:
            recorded = await self.notices.still_pending(stream_id)
            if recorded is None:
                return
            prepared = NoticePrepared.model_validate(recorded.envelope.payload)
            recipient = mask(prepared.channel, prepared.address)
            with (
                structlog.contextvars.bound_contextvars(stream=stream_id, recipient=recipient),
                continuing(
                    f"deliver {prepared.channel}",
                    recorded.envelope.traceparent,  # the notice's: the outcome's trace
                    attributes={"onewindow.notice_stream": stream_id},
                ),
            ):
                sender = self.senders[prepared.channel]
                outcome = await attempt_delivery(
                    prepared, stream_id, sender, self.policy,
                    lambda delay: wait_for_any(stopping, timeout=delay),
                )  # fmt: skip
                if outcome is None:
                    return
                cause = recorded.envelope
                await self.notices.record(
                    stream_id,
                    Envelope.new(
                        outcome, application_id=cause.application_id, producer=SERVICE,
                        causation=cause,
                    ),
                )  # fmt: skip
                metrics.count_delivery(outcome)
                log.info("delivery recorded", outcome=outcome.event_type, **outcome.model_dump())
        except ConcurrencyConflict:
            log.info("another worker recorded this notice first", stream=stream_id)
        except Exception:
            log.exception("delivery broke off; the next scan tries again", stream=stream_id)
        finally:
            self._in_flight.pop(stream_id, None)
            await claims.release(NOTICE_CLAIMS, stream_id)


async def wait_for_any(*events: asyncio.Event, timeout: float) -> bool:
    """Wait until one of `events` is set or `timeout` passes; True if one is set."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    done, pending = await asyncio.wait(
        waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    return bool(done)
