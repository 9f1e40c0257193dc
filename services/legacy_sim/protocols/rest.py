"""REST/JSON style (amr and the generic style of hpf, hcd, water, power, gas, hhc, mia)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from services.legacy_sim.domain.ledger import UnknownFiling
from services.legacy_sim.protocols.filing_json import (
    BadRequest,
    FilingBody,
    SimulatorDep,
    error,
    fault_response,
    filing_request,
    idempotency_key,
    read_body,
    result_fields,
)
from services.legacy_sim.simulator import Simulator

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


async def cancel_filing(sim: Simulator, department: str, receipt: str) -> JSONResponse:
    """Compensation: idempotent, answered like the first time on every repeat."""
    fault = await sim.admit(department, None)
    if fault is not None:
        return fault_response(fault)
    try:
        filing = sim.ledger.cancel(department, receipt)
    except UnknownFiling as e:
        return error(404, str(e))
    return JSONResponse({"status": "cancelled", "receipt": filing.receipt})


def rest_router(department: str) -> APIRouter:
    router = APIRouter(prefix=f"/{department}", tags=[department])

    @router.post("/filings")
    async def submit(
        request: Request, sim: SimulatorDep, key: IdempotencyKey = None
    ) -> JSONResponse:
        try:
            filing_key = idempotency_key(key)
            body = await read_body(request, FilingBody)
        except BadRequest as e:
            return error(400, str(e))
        fault = await sim.admit(department, filing_key)
        if fault is not None:
            return fault_response(fault)
        filing, _ = sim.file(filing_request(department, filing_key, body))
        await sim.stall_maybe(department)
        return JSONResponse(result_fields(filing))

    @router.post("/filings/{receipt}/cancel")
    async def cancel(receipt: str, sim: SimulatorDep) -> JSONResponse:
        return await cancel_filing(sim, department, receipt)

    return router
