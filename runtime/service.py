"""The runtime every service shares: one bootstrap builds the pool, the broker, the relay
and the subscriptions; an ASGI app serves /healthz, /readyz and /metrics.

Shutdown (SIGTERM, which uvicorn catches): stop consuming and let the batch in hand finish
(FastStream's graceful timeout), then let the relay publish what is left, then close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import structlog
import uvicorn
from fastapi import APIRouter, FastAPI

from contracts.envelope import use_clock
from eventlog.kafka_publisher import KafkaEventPublisher
from eventlog.relay import Relay
from eventlog.store import EventStore
from runtime.asgi import service_app
from runtime.broker import broker_for, ensure_topics, producer_for, subscribe_all
from runtime.checkpointing import checkpointing
from runtime.clock import clock_from
from runtime.consumer import Consumer
from runtime.database import migrate, open_pool
from runtime.logs import configure_logging
from runtime.metrics import RELAY_LAG
from runtime.settings import ServiceSettings
from runtime.tracing import TracingConfigError, configure_tracing

log = structlog.get_logger()


@dataclass
class Service:
    """One running service. `store` is its event log; `consumers` its subscriptions;
    `background` long-running work started after the consumers (it returns once `stopping`
    is set); `migrations` a versions directory of the service's own tables."""

    name: str
    settings: ServiceSettings
    consumers: Sequence[Consumer] = ()
    publishes_to: Sequence[str] = ()
    routers: Sequence[APIRouter] = ()
    migrations: Sequence[Path] = ()
    background: Sequence[Callable[[Service], Coroutine[Any, Any, None]]] = ()
    pool: asyncpg.Pool = field(init=False)
    store: EventStore = field(init=False)
    relay: Relay = field(init=False)
    ready: bool = field(default=False, init=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _exit: AsyncExitStack = field(default_factory=AsyncExitStack, init=False)
    _workers: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    @property
    def schema(self) -> str:
        return self.name

    async def start(self) -> None:
        """Start in order; each part's stop is registered as it starts, so `stop` closes
        exactly what a start that failed half-way had opened, in reverse order."""
        s, opened = self.settings, self._exit
        signer = checkpointing(s)  # no signing key while checkpoints are on: no start
        use_clock(clock_from(s.clock_file).now)
        await migrate(s, self.schema, self.migrations)
        self.pool = await open_pool(s, self.schema, self.name)
        opened.push_async_callback(self.pool.close)
        self.store = EventStore(self.pool)
        topics = {t for c in self.consumers for t in c.topics} | set(self.publishes_to)
        await ensure_topics(s, topics)
        self.producer = producer_for(s, self.name)
        await self.producer.start()
        opened.push_async_callback(self.producer.stop)
        self._start_relay()
        opened.push_async_callback(self._stop_background)
        self.broker = broker_for(s, self.name)
        subscribe_all(
            self.broker, self.name, self.consumers, self.pool, self.producer, s.consumer_batch_size
        )
        await self.broker.start()
        opened.push_async_callback(self.broker.stop)  # first to stop: no new batches
        for work in (*self.background, *signer):
            self._workers.append(asyncio.create_task(work(self)))
        self.ready = True
        log.info("service ready", http=f"{s.http_host}:{s.http_port}", schema=self.schema)

    def _start_relay(self) -> None:
        self.relay = Relay(
            self.pool,
            KafkaEventPublisher(self.producer),
            batch_size=self.settings.relay_batch_size,
            report_lag=RELAY_LAG.labels(service=self.name).set,
        )
        stop_relay = asyncio.Event()
        relay = asyncio.create_task(self.relay.run(stop_relay), name="relay")

        async def drain() -> None:  # after the background work: publish what it recorded
            stop_relay.set()
            await asyncio.gather(relay, return_exceptions=True)

        self._exit.push_async_callback(drain)

    async def _stop_background(self) -> None:
        self.stopping.set()  # background work returns when it sees this
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def stop(self) -> None:
        self.ready = False
        await self._exit.aclose()
        log.info("service stopped")

    def asgi(self) -> FastAPI:
        return service_app(self)


def run(service: Service) -> None:
    """Start the service, serve HTTP until SIGTERM or SIGINT, then stop it gracefully."""
    configure_logging(service.name, service.settings.log_level)
    try:
        tracing = configure_tracing(service.name)
    except TracingConfigError as exc:
        log.error("cannot start", error=str(exc))
        raise SystemExit(1) from None
    try:
        raise SystemExit(asyncio.run(_serve(service)))
    finally:
        if tracing is not None:
            tracing.shutdown()  # exports the spans still buffered


async def _serve(service: Service) -> int:
    try:
        await service.start()
    except Exception as exc:
        await service.stop()  # closes what the start opened
        log.error("cannot start", error=f"{type(exc).__name__}: {exc}")
        return 1
    config = uvicorn.Config(
        service.asgi(),
        host=service.settings.http_host,
        port=service.settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=30,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await service.stop()
    return 0
