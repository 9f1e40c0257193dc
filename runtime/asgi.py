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
        subscribers = service.broker.subscribers if hasattr(service, "broker") else ()
        return Response(await scrape(subscribers), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        if service.ready and await database_answers(service.pool):
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "starting"}, status_code=503)

    for router in service.routers:
        app.include_router(router)
    return app
