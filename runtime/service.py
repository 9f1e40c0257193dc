"""The runtime every service shares: one bootstrap builds the pool, the broker, the relay
and the subscriptions; an ASGI app serves /healthz, /readyz and /metrics.

Shutdown (SIGTERM, which uvicorn catches): stop consuming and let the batch in hand finish
(FastStream's graceful timeout), then let the relay publish what is left, then close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import structlog
import uvicorn
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from contracts.envelope import use_clock
from eventlog.inbox import Inbox
from eventlog.kafka_publisher import KafkaEventPublisher
from eventlog.migrate import migrate_async
from eventlog.relay import Relay
from eventlog.store import EventStore
from runtime.clock import clock_from
from runtime.consumer import Consumer, DeadLetters, subscribe
from runtime.logs import configure_logging
from runtime.metrics import CONTENT_TYPE_LATEST, RELAY_LAG, broker_metrics, scrape
from runtime.settings import ServiceSettings
from runtime.startup import with_backoff
from runtime.tracing import TracingConfigError, configure_tracing, untraced

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
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _workers: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    @property
    def schema(self) -> str:
        return self.name

    async def start(self) -> None:
        s = self.settings
        use_clock(clock_from(s.clock_file).now)
        await with_backoff(
            f"PostgreSQL at {_where(s.database_url)}",
            lambda: migrate_async(
                s.migration_database_url or s.database_url,
                self.schema,
                app_role=_role(s.database_url) if s.migration_database_url else None,
                extra=self.migrations,
            ),
            s.startup_timeout_seconds,
        )
        self.pool = await asyncpg.create_pool(
            s.database_url,
            min_size=2,
            max_size=s.db_pool_size,
            server_settings={"search_path": self.schema, "application_name": self.name},
        )
        self.store = EventStore(self.pool)
        await with_backoff(
            f"Kafka at {s.kafka_bootstrap_servers}", self._ensure_topics, s.startup_timeout_seconds
        )
        self.producer = AIOKafkaProducer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            acks="all",
            enable_idempotence=s.kafka_enable_idempotence,
            linger_ms=5,
            max_batch_size=256 * 1024,
            client_id=f"onewindow-{self.name}",
        )
        await self.producer.start()
        self.relay = Relay(
            self.pool,
            KafkaEventPublisher(self.producer),
            batch_size=s.relay_batch_size,
            report_lag=RELAY_LAG.labels(service=self.name).set,
        )
        self._stop_relay = asyncio.Event()
        self._tasks.append(asyncio.create_task(self.relay.run(self._stop_relay), name="relay"))
        self.broker = KafkaBroker(
            s.kafka_bootstrap_servers,
            graceful_timeout=30.0,
            logger=None,
            middlewares=[
                KafkaTelemetryMiddleware(),  # a span per batch; per event: consumer.py
                broker_metrics(self.name),
            ],
        )
        for consumer in self.consumers:
            group = f"{self.name}.{consumer.name}"
            subscribe(
                self.broker,
                group,
                consumer,
                Inbox(self.pool, group),
                DeadLetters(self.producer, group),
                s.consumer_batch_size,
            )
        await self.broker.start()
        for work in self.background:
            self._workers.append(asyncio.create_task(work(self)))
        self.ready = True
        log.info("service ready", http=f"{s.http_host}:{s.http_port}", schema=self.schema)

    async def stop(self) -> None:
        self.ready = False
        await self.broker.stop()
        self.stopping.set()  # background work returns when it sees this
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._stop_relay.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.producer.stop()
        await self.pool.close()
        log.info("service stopped")

    async def _ensure_topics(self) -> None:
        topics = {t for c in self.consumers for t in c.topics} | set(self.publishes_to)
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            if not self.settings.kafka_create_topics:
                return
            existing = set(await admin.list_topics())
            wanted = [
                NewTopic(
                    t, self.settings.kafka_topic_partitions, self.settings.kafka_topic_replication
                )
                for t in sorted(topics - existing)
            ]
            if wanted:
                try:
                    await admin.create_topics(wanted)
                except TopicAlreadyExistsError:
                    pass  # another service created it first
        finally:
            await admin.close()

    def asgi(self) -> FastAPI:
        # FastAPI's own OpenTelemetry support: a server span per request, a child of the
        # caller's traceparent header (probes and /metrics left out)
        app = FastAPI(title=f"OneWindow {self.name}", telemetry={"exclude": untraced})
        app.state.service = self

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            subscribers = self.broker.subscribers if hasattr(self, "broker") else ()
            return Response(await scrape(subscribers), media_type=CONTENT_TYPE_LATEST)

        @app.get("/healthz", include_in_schema=False)
        async def healthz() -> dict[str, str]:
            return {"status": "alive"}

        @app.get("/readyz", include_in_schema=False)
        async def readyz() -> JSONResponse:
            if self.ready and await self._database_answers():
                return JSONResponse({"status": "ready"})
            return JSONResponse({"status": "starting"}, status_code=503)

        for router in self.routers:
            app.include_router(router)
        return app

    async def _database_answers(self) -> bool:
        try:
            async with self.pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1")
            return True
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False


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


def _where(dsn: str) -> str:
    parts = urlsplit(dsn)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def _role(dsn: str) -> str | None:
    return urlsplit(dsn).username
