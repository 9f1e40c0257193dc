"""HTTP routes of dept_adapter: nrb-style callbacks, and the departments' and registers'
state for ops."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from services.dept_adapter.handlers import CallbackRefused, on_callback
from services.dept_adapter.runner import Runner


def routes(runner: Runner, callback_secret: bytes) -> APIRouter:
    router = APIRouter()

    @router.post("/callbacks/{department}")
    async def callback(
        department: str,
        request: Request,
        filing_key: Annotated[str, Query(min_length=1, max_length=200)],
        signature: Annotated[str | None, Header(alias="X-Legacy-Signature")] = None,
    ) -> JSONResponse:
        if runner.filings is None:
            return JSONResponse({"error": "starting; retry"}, status_code=503)
        try:
            done = await on_callback(
                runner.filings, department, filing_key, await request.body(), signature,
                callback_secret,
            )  # fmt: skip
        except CallbackRefused as e:
            return JSONResponse({"error": str(e)}, status_code=e.status)
        return JSONResponse({"status": done})

    @router.get("/departments")
    async def departments() -> dict[str, dict[str, Any]]:
        return runner.status()

    @router.get("/registers")
    async def registers() -> dict[str, dict[str, Any]]:
        return runner.registers_status()

    return router
