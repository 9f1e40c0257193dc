"""Stand-in of the SMS gateway the notifier sends text messages through.

``POST /sms/messages`` with header ``X-Api-Key``; faults are those of the behaviour named
``sms``, ``fail_first`` counted per message (mobile and content).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from uuid6 import uuid7

from services.legacy_sim.domain.received import TextMessage
from services.legacy_sim.protocols.filing_json import (
    BadRequest,
    SimulatorDep,
    error,
    fault_response,
    read_body,
)

GATEWAY = "sms"


class TextMessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mobile: str = Field(pattern=r"^1[0-9]{10}$", description="11 digits, the first 1.")
    content: str = Field(min_length=1, max_length=1000)
    signature: str = Field(min_length=1, max_length=30, examples=["一窗通办"])


def message_key(body: TextMessageBody) -> str:
    return f"{body.mobile}:{hashlib.sha256(body.content.encode()).hexdigest()[:16]}"


def message_id(at: datetime) -> str:
    return f"SMS{at:%Y%m%d%H%M%S}{uuid7().hex[-10:].upper()}"


router = APIRouter(tags=[GATEWAY])


@router.post("/sms/messages")
async def send(
    request: Request,
    sim: SimulatorDep,
    api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None,
) -> JSONResponse:
    expected = sim.settings.sms_api_key.get_secret_value().encode()
    if api_key is None or not hmac.compare_digest(api_key.encode(), expected):
        return error(401, "header X-Api-Key is missing or wrong")
    try:
        body = await read_body(request, TextMessageBody)
    except BadRequest as e:
        return error(400, str(e))
    fault = await sim.admit(GATEWAY, message_key(body))
    if fault is not None:
        return fault_response(fault)
    now = datetime.now(UTC)
    message = TextMessage(message_id(now), body.mobile, body.content, body.signature, now)
    sim.received.add_text(message)
    return JSONResponse({"message_id": message.message_id})
