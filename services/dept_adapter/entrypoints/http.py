"""HTTP routes of dept_adapter: nrb-style callbacks, and the departments' and registers'
state for ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from runtime.clock import Clock
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.entrypoints.filing import FilingWorkers
from services.dept_adapter.handlers.callback import CallbackRefused, on_callback

# The filing log of the service that serves a request.
FilingsOf = Callable[[Request], FilingLog]


def routes(
    workers: FilingWorkers, filings_of: FilingsOf, callback_secret: bytes, clock: Clock
) -> APIRouter:
    router = APIRouter()

    @router.post("/callbacks/{department}")
    async def callback(
        department: str,
        request: Request,
        filing_key: Annotated[str, Query(min_length=1, max_length=200)],
        signature: Annotated[str | None, Header(alias="X-Legacy-Signature")] = None,
    ) -> JSONResponse:
        body = await request.body()
        try:
            done = await on_callback(
                filings_of(request),
                department,
                filing_key,
                body,
                signature,
                callback_secret,
                clock.now(),
            )
        except CallbackRefused as e:
            return JSONResponse({"error": str(e)}, status_code=e.status)
        return JSONResponse({"status": done})

    @router.get("/departments")
    async def departments() -> dict[str, dict[str, Any]]:
        return workers.status()

    @router.get("/registers")
    async def registers() -> dict[str, dict[str, Any]]:
        return workers.registers_status()

    return router
