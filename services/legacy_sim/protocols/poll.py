"""Submit-then-poll style (hrss): a ticket now, the decision after the processing delay."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.legacy_sim.domain.ledger import UnknownFiling
from services.legacy_sim.domain.numbers import reference
from services.legacy_sim.protocols.filing_json import (
    FilingBody,
    SimulatorDep,
    admit_filing,
    error,
    fault_response,
    filing_request,
    result_fields,
)
from services.legacy_sim.protocols.rest import IdempotencyKey


def poll_router(department: str) -> APIRouter:
    router = APIRouter(prefix=f"/{department}", tags=[department])

    @router.post("/applications", status_code=202)
    async def submit(
        request: Request, sim: SimulatorDep, key: IdempotencyKey = None
    ) -> JSONResponse:
        admitted = await admit_filing(request, sim, department, key, FilingBody)
        if isinstance(admitted, JSONResponse):
            return admitted
        filing_key, body = admitted
        sim.file(filing_request(department, filing_key, body))
        ticket = reference(f"{department.upper()}-T", f"ticket:{department}:{filing_key}")
        sim.ledger.alias(department, ticket, filing_key)
        await sim.stall_maybe(department)
        return JSONResponse({"ticket": ticket}, status_code=202)

    @router.get("/applications/{ticket}")
    async def state(ticket: str, sim: SimulatorDep) -> JSONResponse:
        fault = await sim.admit(department, None)
        if fault is not None:
            return fault_response(fault)
        try:
            filing = sim.ledger.find(department, ticket)
        except UnknownFiling as e:
            return error(404, str(e))
        if filing.cancelled:
            return JSONResponse({"state": "cancelled", "ticket": ticket, "receipt": filing.receipt})
        remaining = filing.ready_at - sim.now()
        if remaining > 0:
            retry_after = str(max(1, math.ceil(remaining)))
            return JSONResponse(
                {"state": "processing", "ticket": ticket}, headers={"Retry-After": retry_after}
            )
        fields = result_fields(filing)
        return JSONResponse({"state": fields["status"], "ticket": ticket, **fields})

    @router.post("/applications/{ticket}/cancel")
    async def cancel(ticket: str, sim: SimulatorDep) -> JSONResponse:
        fault = await sim.admit(department, None)
        if fault is not None:
            return fault_response(fault)
        try:
            filing = sim.ledger.cancel(department, ticket)
        except UnknownFiling as e:
            return error(404, str(e))
        return JSONResponse({"status": "cancelled", "ticket": ticket, "receipt": filing.receipt})

    return router
