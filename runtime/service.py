"""The runtime every service shares: one bootstrap builds the pool, the broker, the relay
and the subscriptions; an ASGI app serves /healthz, /readyz and /metrics.

Shutdown (SIGTERM, which uvicorn catches): stop consuming and let the batch in hand finish,
stop the background work, then let the relay publish what is left, then close.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import asyncpg
import structlog
import uvicorn
import uvloop
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI

from contracts.topics import CHECKPOINTS
from eventlog.kafka_publisher import KafkaEventPublisher
from eventlog.relay import Relay
from eventlog.retry import Backoff
from eventlog.store import EventStore
from runtime.asgi import service_app
from runtime.broker import (
    broker_watch,
    consumer_loops,
    ensure_topics,
    keep_topics,
    producer_for,
)
from runtime.checkpointing import checkpointing
from runtime.consumer import Consumer, ConsumerLoop
from runtime.database import migrate, open_pool
from runtime.logs import configure_logging
from runtime.metrics import BROKER_DATA_LOSS, RELAY_LAG
from runtime.settings import ServiceSettings
from runtime.supervision import Part, Supervisor
from runtime.tracing import TracingConfigError, configure_tracing

log = structlog.get_logger()
Work = Callable[["Service", asyncio.Event], Awaitable[None]]
GAVE_UP = 3  # the exit status of a service that stopped because a part did not recover


@dataclass
class Service:
    """One running service. `store` is its event log; `consumers` its subscriptions;
    `background` its long-running work by name (each returns once its stop event is set);
    `migrations` a versions directory of the service's own tables. Every long-running part
    — the relay, each consumer, each background work, the topic keeper — is supervised."""

    name: str
    settings: ServiceSettings
    consumers: Sequence[Consumer] = ()
    publishes_to: Sequence[str] = ()
    routers: Sequence[APIRouter] = ()
    migrations: Sequence[Path] = ()
    background: Mapping[str, Work] = field(default_factory=dict)
    pool: asyncpg.Pool = field(init=False)
    store: EventStore = field(init=False)
    producer: AIOKafkaProducer = field(init=False)
    relay: Relay = field(init=False)
    supervisor: Supervisor = field(init=False)
    loops: list[ConsumerLoop] = field(default_factory=list, init=False)
    ready: bool = field(default=False, init=False)
    _exit: AsyncExitStack = field(default_factory=AsyncExitStack, init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.supervisor = Supervisor(
            self.name,
            backoff=Backoff(s.retry_first_seconds, s.retry_max_seconds),
            stable_seconds=s.part_stable_seconds,
            give_up_seconds=s.part_give_up_seconds,
        )

    @property
    def schema(self) -> str:
        return self.name

    async def start(self) -> None:
        """Start in order; each part's stop is registered as it starts, so `stop` closes
        exactly what a start that failed half-way had opened, in reverse order: consumers
        first (no new batches), then the background work, then the relay (it publishes
        what they recorded), then the producer and the pool."""
        s, opened = self.settings, self._exit
        signer = checkpointing(s)  # no signing key while checkpoints are on: no start
        await migrate(s, self.schema, self.migrations)
        self.pool = await open_pool(s, self.schema, self.name)
        opened.push_async_callback(self.pool.close)
        self.store = EventStore(self.pool)
        topics = {t for c in self.consumers for t in c.topics} | set(self.publishes_to)
        topics |= {CHECKPOINTS} if signer else set()
        await ensure_topics(s, topics)
        self.producer = producer_for(s, self.name)
        await self.producer.start()
        opened.push_async_callback(self.producer.stop)
        opened.push_async_callback(self.supervisor.stop)
        self._supervise([Part("topics", keep_topics(s, topics))])
        self.relay = Relay(
            self.pool,
            KafkaEventPublisher(self.producer),
            batch_size=s.relay_batch_size,
            publish_timeout_seconds=s.relay_publish_timeout_seconds,
            watch=broker_watch(s),
            watch_seconds=s.relay_watch_seconds,
            loss_settle_seconds=s.relay_loss_settle_seconds,
            report_lag=RELAY_LAG.labels(service=self.name).set,
            report_data_loss=BROKER_DATA_LOSS.labels(service=self.name).inc,
        )
        self._supervise([Part("relay", self.relay.run)])
        background = {**self.background, **signer}
        self._supervise([Part(name, partial(work, self)) for name, work in background.items()])
        self.loops = consumer_loops(s, self.name, self.consumers, self.pool, self.producer)
        self._supervise([Part(f"consumer:{loop.consumer.name}", loop.run) for loop in self.loops])
        self.ready = True
        log.info("service ready", http=f"{s.http_host}:{s.http_port}", schema=self.schema)

    def _supervise(self, parts: Sequence[Part]) -> None:
        for part in parts:
            self.supervisor.start(part)
        names = [p.name for p in parts]
        self._exit.push_async_callback(self.supervisor.stop, names)

    def parts_down(self) -> dict[str, float]:
        """Parts down longer than the grace, with the seconds they have been down."""
        grace = self.settings.part_down_grace_seconds
        return {name: s for name, s in self.supervisor.down().items() if s >= grace}

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
        raise SystemExit(uvloop.run(_serve(service)))
    finally:
        if tracing is not None:
            tracing.shutdown()  # exports the spans still buffered


# A service's objects die young (a batch's records, rows and envelopes) or live long (the
# start-up heap, the kept streams and processes). With CPython's default — a young collection
# every 700 new objects — a batch's transient objects were promoted, and every full
# collection then walked each kept object (in the router under load: 14 s of a 75 s run).
GC_THRESHOLDS = (50_000, 20, 100)


def _settle_garbage_collection() -> None:
    gc.collect()
    gc.freeze()  # the start-up heap (modules, schemas, the catalog) is not walked again
    gc.set_threshold(*GC_THRESHOLDS)


async def _serve(service: Service) -> int:
    try:
        await service.start()
    except Exception as exc:
        await service.stop()  # closes what the start opened
        log.error("cannot start", error=f"{type(exc).__name__}: {exc}")
        return 1
    _settle_garbage_collection()
    config = uvicorn.Config(
        service.asgi(),
        host=service.settings.http_host,
        port=service.settings.http_port,
        log_config=None,
        access_log=False,
        timeout_keep_alive=service.settings.http_keep_alive_seconds,
        lifespan="off",
        timeout_graceful_shutdown=30,
    )
    server = uvicorn.Server(config)

    async def exit_when_a_part_gave_up() -> None:
        await service.supervisor.gave_up.wait()
        server.should_exit = True

    watchdog = asyncio.create_task(exit_when_a_part_gave_up())
    try:
        await server.serve()
    finally:
        watchdog.cancel()
        await service.stop()
    if service.supervisor.gave_up.is_set():
        log.error("stopped: a part did not recover", part=service.supervisor.gave_up_on)
        return GAVE_UP
    return 0
