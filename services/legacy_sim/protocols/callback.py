"""Callback style (nrb): a receipt now; the decision is POSTed, signed, to ``callback_url``.

A delivery retries with doubling back-off (with jitter) until the receiver answers 2xx or
``callback_max_attempts`` is spent; every attempt sends the same bytes with the same signature.
A filing cancelled before its delivery is never delivered.
"""

from __future__ import annotations

import asyncio
import json
import random

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AnyHttpUrl

from runtime.http_client import TimedOut, Unreachable, Unsendable
from services.legacy_sim.domain.ledger import Filing
from services.legacy_sim.domain.signature import SIGNATURE_HEADER, sign
from services.legacy_sim.protocols.filing_json import (
    FilingBody,
    SimulatorDep,
    admit_filing,
    filing_request,
    result_fields,
)
from services.legacy_sim.protocols.rest import IdempotencyKey, cancel_filing
from services.legacy_sim.simulator import CallbackDelivery, Simulator


class CallbackFilingBody(FilingBody):
    callback_url: AnyHttpUrl


def callback_body(filing: Filing) -> bytes:
    fields = {
        **result_fields(filing),
        "application_id": filing.application_id,
        "subtask": filing.subtask,
    }
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


async def deliver(sim: Simulator, filing: Filing, delivery: CallbackDelivery) -> None:
    settings = sim.settings
    await asyncio.sleep(max(0.0, filing.ready_at - sim.now()))
    body = callback_body(filing)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(settings.callback_secret.get_secret_value().encode(), body),
        "X-Legacy-Receipt": filing.receipt,
    }
    backoff = settings.callback_backoff_ms / 1000
    for attempt in range(1, settings.callback_max_attempts + 1):
        if sim.ledger.find(filing.department, filing.receipt).cancelled:
            delivery.state = "cancelled"
            return
        delivery.attempts = attempt
        try:
            answer = await sim.http().post(
                delivery.url,
                content=body,
                headers={**headers, "X-Legacy-Attempt": str(attempt)},
                timeout=settings.callback_timeout_seconds,
            )
            if 200 <= answer.status_code < 300:
                delivery.state, delivery.last_error = "delivered", None
                return
            delivery.last_error = f"HTTP {answer.status_code}"
        except (TimedOut, Unreachable, Unsendable) as e:
            delivery.last_error = f"{type(e).__name__}: {e}"
        if attempt < settings.callback_max_attempts:
            cap = settings.callback_backoff_max_ms / 1000
            await asyncio.sleep(min(backoff, cap) * random.uniform(0.5, 1.0))
            backoff *= 2
    delivery.state = "failed"


def callback_router(department: str) -> APIRouter:
    router = APIRouter(prefix=f"/{department}", tags=[department])

    @router.post("/filings", status_code=202)
    async def submit(
        request: Request, sim: SimulatorDep, key: IdempotencyKey = None
    ) -> JSONResponse:
        admitted = await admit_filing(request, sim, department, key, CallbackFilingBody)
        if isinstance(admitted, JSONResponse):
            return admitted
        filing_key, body = admitted
        filing, _ = sim.file(filing_request(department, filing_key, body))
        delivery = sim.deliveries.get(filing.receipt)
        # A repeat starts a new delivery only when the previous one gave up.
        if delivery is None or delivery.state == "failed":
            delivery = CallbackDelivery(department, filing.receipt, str(body.callback_url))
            sim.deliveries[filing.receipt] = delivery
            sim.spawn(deliver(sim, filing, delivery))
        await sim.stall_maybe(department)
        return JSONResponse({"receipt": filing.receipt}, status_code=202)

    @router.post("/filings/{receipt}/cancel")
    async def cancel(receipt: str, sim: SimulatorDep) -> JSONResponse:
        return await cancel_filing(sim, department, receipt)

    return router
