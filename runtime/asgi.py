"""The HTTP face of a service: /healthz, /readyz and /metrics beside the service's routers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from runtime.database import database_answers
from runtime.metrics import CONTENT_TYPE_LATEST, scrape
from runtime.tracing import untraced

if TYPE_CHECKING:
    from runtime.service import Service


def service_app(service: Service) -> FastAPI:
    # FastAPI's own OpenTelemetry support: a server span per request, a child of the
    # caller's traceparent header (probes and /metrics left out)
    app = FastAPI(title=f"OneWindow {service.name}", telemetry={"exclude": untraced})
    app.state.service = service

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        consumers = [(loop.group, loop.kafka) for loop in service.loops]
        return Response(await scrape(consumers), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        if not service.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        down = {part: round(seconds, 1) for part, seconds in service.parts_down().items()}
        if down:
            return JSONResponse({"status": "degraded", "parts_down_s": down}, status_code=503)
        if not await database_answers(service.pool):
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    for router in service.routers:
        app.include_router(router)
    return app
