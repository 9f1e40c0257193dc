"""SOAP 1.1 style (tax): one endpoint, the operation named by SOAPAction and the body element."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from services.legacy_sim.domain.decisions import Completed, FilingRequest, Rejected
from services.legacy_sim.domain.ledger import UnknownFiling
from services.legacy_sim.protocols import soap_xml
from services.legacy_sim.protocols.filing_json import SimulatorDep
from services.legacy_sim.protocols.soap_xml import CancelFiling, SoapClientError
from services.legacy_sim.simulator import Simulator


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=soap_xml.CONTENT_TYPE)


def _client_fault(e: SoapClientError) -> Response:
    return _xml(soap_xml.fault("Client", str(e), e.code), 500)


async def _submit(sim: Simulator, department: str, message: soap_xml.SubmitFiling) -> Response:
    fault = await sim.admit(department, message.idempotency_key)
    if fault is not None:
        return _xml(soap_xml.fault("Server", fault.reason, "INJECTED_ERROR"), 500)
    request = FilingRequest(
        department=department,
        idempotency_key=message.idempotency_key,
        application_id=message.application_id,
        subtask=message.subtask,
        inputs=message.inputs,
        materials=message.materials,
    )
    filing, _ = sim.file(request)
    await sim.stall_maybe(department)
    decision = filing.decision
    if isinstance(decision, Completed):
        answer = soap_xml.submit_response(decision.status, filing.receipt, outputs=decision.outputs)
    elif isinstance(decision, Rejected):
        answer = soap_xml.submit_response(decision.status, filing.receipt, reason=decision.reason)
    else:
        materials = [(m.code, m.name, m.reason) for m in decision.materials]
        answer = soap_xml.submit_response(decision.status, filing.receipt, materials=materials)
    return _xml(answer)


async def _cancel(sim: Simulator, department: str, message: CancelFiling) -> Response:
    fault = await sim.admit(department, None)
    if fault is not None:
        return _xml(soap_xml.fault("Server", fault.reason, "INJECTED_ERROR"), 500)
    try:
        filing = sim.ledger.cancel(department, message.receipt)
    except UnknownFiling as e:
        return _client_fault(SoapClientError("UNKNOWN_RECEIPT", str(e)))
    return _xml(soap_xml.cancel_response(filing.receipt))


def soap_router(department: str) -> APIRouter:
    router = APIRouter(prefix=f"/{department}", tags=[department])

    @router.post("/soap")
    async def soap(
        request: Request,
        sim: SimulatorDep,
        soap_action: Annotated[str | None, Header(alias="SOAPAction")] = None,
    ) -> Response:
        try:
            message = soap_xml.parse_request(await request.body(), soap_action)
        except SoapClientError as e:
            return _client_fault(e)
        if isinstance(message, CancelFiling):
            return await _cancel(sim, department, message)
        return await _submit(sim, department, message)

    return router
