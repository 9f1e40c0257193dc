"""The composition root: one FastAPI app, one router per simulated department, the topic
consumer of every topic-style department (when a broker is configured), the data-sharing
platform, and the stand-ins of the notifier's outside world (SMS gateway, SMTP server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import APIRouter, FastAPI

from services.legacy_sim.config import (
    PROTOCOLS,
    LegacySimSettings,
    resolve_behaviours,
    resolve_register_behaviours,
)
from services.legacy_sim.protocols import control, sharing, sms
from services.legacy_sim.protocols.callback import callback_router
from services.legacy_sim.protocols.poll import poll_router
from services.legacy_sim.protocols.rest import rest_router
from services.legacy_sim.protocols.smtp import start_smtp, stop_smtp
from services.legacy_sim.protocols.soap import soap_router
from services.legacy_sim.protocols.topic import TopicConsumer
from services.legacy_sim.registers import load_registers
from services.legacy_sim.sharing_platform import SharingPlatform
from services.legacy_sim.simulator import Simulator

ROUTERS: dict[str, Callable[[str], APIRouter]] = {
    "rest": rest_router,
    "soap": soap_router,
    "poll": poll_router,
    "callback": callback_router,
}


def topic_consumers(simulator: Simulator, settings: LegacySimSettings) -> dict[str, TopicConsumer]:
    if not settings.kafka_bootstrap_servers:
        return {}
    return {
        dept: TopicConsumer(simulator, dept, settings)
        for dept, protocol in PROTOCOLS.items()
        if protocol == "topic"
    }


def sharing_platform(settings: LegacySimSettings) -> SharingPlatform:
    registers = load_registers(settings.sharing_data_file)
    return SharingPlatform(
        registers,
        resolve_register_behaviours(settings, registers),
        settings.sharing_token.get_secret_value(),
        settings.sharing_ledger_limit,
    )


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def create_app(settings: LegacySimSettings | None = None) -> FastAPI:
    settings = settings or LegacySimSettings()
    simulator = Simulator(settings, resolve_behaviours(settings))
    consumers = topic_consumers(simulator, settings)
    platform = sharing_platform(settings)
    simulator.on_reset(platform.reset)
    simulator.on_decided(platform.learn)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as running:
            running.push_async_callback(simulator.close)
            if settings.smtp_port:
                smtp = await start_smtp(simulator.received, settings.host, settings.smtp_port)
                running.push_async_callback(stop_smtp, smtp)
            for dept, consumer in consumers.items():
                task = asyncio.create_task(consumer.run(), name=f"topic-{dept}")
                running.push_async_callback(_cancel, task)
            yield

    app = FastAPI(
        title="OneWindow legacy systems simulator",
        description="Stand-ins for department systems; see docs/legacy-protocols.md.",
        lifespan=lifespan,
    )
    app.state.simulator = simulator
    app.state.topics = consumers
    app.state.sharing = platform
    app.include_router(control.router)
    app.include_router(sms.router)
    app.include_router(sharing.router)
    for department, protocol in PROTOCOLS.items():
        if protocol in ROUTERS:
            app.include_router(ROUTERS[protocol](department))
    return app
