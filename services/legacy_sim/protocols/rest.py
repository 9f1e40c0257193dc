"""REST/JSON style (amr and the generic style of hpf, hcd, water, power, gas, hhc, mia)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from services.legacy_sim.domain.ledger import UnknownFiling
from services.legacy_sim.protocols.filing_json import (
    FilingBody,
    SimulatorDep,
    admit_filing,
    error,
    fault_response,
    filing_request,
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
        admitted = await admit_filing(request, sim, department, key, FilingBody)
        if isinstance(admitted, JSONResponse):
            return admitted
        filing_key, body = admitted
        filing, _ = sim.file(filing_request(department, filing_key, body))
        await sim.stall_maybe(department)
        return JSONResponse(result_fields(filing))

    @router.post("/filings/{receipt}/cancel")
    async def cancel(receipt: str, sim: SimulatorDep) -> JSONResponse:
        return await cancel_filing(sim, department, receipt)

    return router
