"""JSON bodies shared by the REST, poll and callback styles: the filing in, the result out."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.legacy_sim.domain import json_body
from services.legacy_sim.domain.decisions import Completed, FilingRequest, Rejected
from services.legacy_sim.domain.faults import InjectedFault
from services.legacy_sim.domain.ledger import Filing
from services.legacy_sim.simulator import Simulator


async def _simulator(request: Request) -> Simulator:
    simulator: Simulator = request.app.state.simulator
    return simulator


SimulatorDep = Annotated[Simulator, Depends(_simulator)]
Body = TypeVar("Body", bound=BaseModel)


class BadRequest(ValueError):
    """A malformed filing: answered 400 ``{"error": ...}`` and never retried by a client."""


class FilingBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    application_id: str = Field(min_length=1)
    subtask: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    materials: list[str] = Field(default_factory=list)


def idempotency_key(value: str | None) -> str:
    if value is None or not 1 <= len(value.strip()) <= 200:
        raise BadRequest("header Idempotency-Key is required (1 to 200 characters)")
    return value.strip()


def parse_json(body: bytes) -> Any:
    try:
        return json_body.parse_json(body)
    except json_body.NotJson as e:
        raise BadRequest(str(e)) from None


async def read_body(request: Request, model: type[Body]) -> Body:
    try:
        return model.model_validate(parse_json(await request.body()))
    except ValidationError as e:
        raise BadRequest(describe(e)) from None


def describe(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, x['loc'])) or 'body'}: {x['msg']}" for x in e.errors())


def filing_request(department: str, key: str, body: FilingBody) -> FilingRequest:
    return FilingRequest(
        department=department,
        idempotency_key=key,
        application_id=body.application_id,
        subtask=body.subtask,
        inputs=body.inputs,
        materials=tuple(body.materials),
    )


def result_fields(filing: Filing) -> dict[str, Any]:
    """``status``, ``receipt`` and, by status, ``outputs`` / ``reason`` / ``materials``."""
    decision = filing.decision
    fields: dict[str, Any] = {"status": decision.status, "receipt": filing.receipt}
    if isinstance(decision, Completed):
        fields["outputs"] = dict(decision.outputs)
    elif isinstance(decision, Rejected):
        fields["reason"] = decision.reason
    else:
        fields["materials"] = [
            {"code": m.code, "name": m.name, "reason": m.reason} for m in decision.materials
        ]
    return fields


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def fault_response(fault: InjectedFault) -> JSONResponse:
    headers = {"Retry-After": "1"} if fault.status == 503 else None
    return JSONResponse({"error": fault.reason}, status_code=fault.status, headers=headers)


async def admit_filing(
    request: Request, sim: Simulator, department: str, key: str | None, model: type[Body]
) -> tuple[str, Body] | JSONResponse:
    """What every filing goes through first: a well-formed key and body, then injected faults.
    Returns the key and body, or the response refusing them."""
    try:
        filing_key = idempotency_key(key)
        body = await read_body(request, model)
    except BadRequest as e:
        return error(400, str(e))
    fault = await sim.admit(department, filing_key)
    if fault is not None:
        return fault_response(fault)
    return filing_key, body
