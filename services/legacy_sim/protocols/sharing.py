"""The data-sharing platform (数据共享平台): ``POST /sharing/datasets/{dataset}/lookups``.

Order of a lookup: authorise (401) → the dataset (404) → validate the body (400) — none of
these is written to the ledger or counted → wait the register's latency → maybe inject a fault
(500 / 503, written to the ledger) → answer from the register (written) → maybe stall.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.legacy_sim.domain.faults import InjectedFault
from services.legacy_sim.domain.sharing import MAX_KEYS, MAX_TEXT, BadLookup, parse_lookup
from services.legacy_sim.sharing_platform import SharingPlatform, UnknownDataset
from services.legacy_sim.simulator import Simulator


async def _platform(request: Request) -> SharingPlatform:
    platform: SharingPlatform = request.app.state.sharing
    return platform


PlatformDep = Annotated[SharingPlatform, Depends(_platform)]
router = APIRouter(prefix="/sharing", tags=["sharing"])


def refusal(
    status: int,
    error: str,
    message: str,
    headers: dict[str, str] | None = None,
    more: dict[str, object] | None = None,
) -> JSONResponse:
    body = {"error": error, **(more or {}), "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def fault_refusal(fault: InjectedFault) -> JSONResponse:
    """Both retryable: 503 says when (``Retry-After``), 500 does not."""
    if fault.status == 503:
        return refusal(503, "unavailable", fault.reason, {"Retry-After": "1"})
    return refusal(fault.status, "internal_error", fault.reason)


_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
LOOKUP_SCHEMA = {
    "type": "object",
    "required": ["requester", "purpose", "application_id", "keys"],
    "properties": {
        "requester": _TEXT,
        "purpose": {
            "type": "object",
            "required": ["matter", "subtask"],
            "properties": {"matter": _TEXT, "subtask": _TEXT},
        },
        "application_id": {"type": "string", "format": "uuid"},
        "keys": {"type": "array", "items": _TEXT, "minItems": 1, "maxItems": MAX_KEYS},
        "fields": {"type": ["array", "null"], "items": {"type": "string"}},
    },
}
OPENAPI = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": LOOKUP_SCHEMA}}},
    "parameters": [
        {
            "name": "Authorization",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "example": "Bearer onewindow-sharing-demo-token"},
        }
    ],
}


@router.post("/datasets/{dataset}/lookups", openapi_extra=OPENAPI)
async def lookups(dataset: str, request: Request) -> JSONResponse:
    # The state is read off the app, not injected: no per-request dependency resolution.
    sim: Simulator = request.app.state.simulator
    platform: SharingPlatform = request.app.state.sharing
    if not platform.authorised(request.headers.get("authorization")):
        message = "header Authorization: Bearer <token> is missing or wrong"
        return refusal(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})
    try:
        register = platform.register(dataset)
    except UnknownDataset:
        known = ", ".join(platform.registers)
        return refusal(404, "unknown_dataset", f"no dataset {dataset!r}; datasets: {known}")
    try:
        lookup = parse_lookup(await request.body(), register.fields)
    except BadLookup as e:
        more: dict[str, object] = {"missing": e.missing}
        if e.unknown_fields:
            more["unknown_fields"] = e.unknown_fields
        return refusal(400, "bad_request", str(e), more=more)
    received = datetime.now(UTC)
    behaviour = platform.behaviour(dataset)
    fault = await sim.delay_and_fault(behaviour, platform.attempt(dataset, lookup.identity))
    if fault is not None:
        platform.ledger.write(received, dataset, lookup, fault.status)
        return fault_refusal(fault)
    records = register.answer(lookup.keys, lookup.fields)
    stall = sim.stall_seconds(behaviour)
    found = tuple(r["key"] for r in records if r["found"])
    platform.ledger.write(received, dataset, lookup, 200, found, stalled=bool(stall))
    if stall:
        await asyncio.sleep(stall)
    return JSONResponse({"dataset": dataset, "records": records})
