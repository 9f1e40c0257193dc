"""The composition root: one FastAPI app, one router per simulated department."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from services.legacy_sim.config import PROTOCOLS, LegacySimSettings, resolve_behaviours
from services.legacy_sim.protocols import control
from services.legacy_sim.protocols.callback import callback_router
from services.legacy_sim.protocols.poll import poll_router
from services.legacy_sim.protocols.rest import rest_router
from services.legacy_sim.protocols.soap import soap_router
from services.legacy_sim.simulator import Simulator

ROUTERS: dict[str, Callable[[str], APIRouter]] = {
    "rest": rest_router,
    "soap": soap_router,
    "poll": poll_router,
    "callback": callback_router,
}


def create_app(settings: LegacySimSettings | None = None) -> FastAPI:
    settings = settings or LegacySimSettings()
    simulator = Simulator(settings, resolve_behaviours(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await simulator.close()

    app = FastAPI(
        title="OneWindow legacy systems simulator",
        description="Stand-ins for department systems; see docs/legacy-protocols.md.",
        lifespan=lifespan,
    )
    app.state.simulator = simulator
    app.include_router(control.router)
    for department, protocol in PROTOCOLS.items():
        app.include_router(ROUTERS[protocol](department))
    return app
