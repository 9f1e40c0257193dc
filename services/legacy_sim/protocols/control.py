"""Run-time control for tests and demos: change behaviour, read the filing counts, the topic
consumers' state and what the SMS and mail stand-ins received; reset.

Fixed paths are declared before ``/{department}``: ``GET /_control/sms`` lists the messages,
while ``POST /_control/sms`` changes the gateway's faults like a department's.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.legacy_sim.protocols.filing_json import SimulatorDep, describe, error
from services.legacy_sim.protocols.topic import TopicConsumer
from services.legacy_sim.simulator import UnknownDepartment

router = APIRouter(prefix="/_control", tags=["control"])


@router.get("/filings")
async def filings(sim: SimulatorDep) -> dict[str, dict[str, dict[str, int]]]:
    return {
        dept: {key: asdict(counts) for key, counts in keys.items()}
        for dept, keys in sim.ledger.counts().items()
    }


@router.get("/callbacks")
async def callbacks(sim: SimulatorDep) -> list[dict[str, Any]]:
    return [asdict(delivery) for delivery in sim.deliveries.values()]


@router.get("/topics")
async def topics(request: Request) -> dict[str, dict[str, Any]]:
    """State of every topic-consuming department (empty when Kafka is not configured)."""
    consumers: dict[str, TopicConsumer] = request.app.state.topics
    return {dept: asdict(consumer.status) for dept, consumer in consumers.items()}


@router.get("/sms")
async def text_messages(sim: SimulatorDep) -> list[dict[str, Any]]:
    return [asdict(message) for message in sim.received.texts()]


@router.get("/mail")
async def mails(sim: SimulatorDep) -> list[dict[str, Any]]:
    return [
        {
            "from": mail.sender,
            "to": list(mail.recipients),
            "subject": mail.subject,
            "text": mail.text,
            "message_id": mail.message_id,
            "received_at": mail.received_at.isoformat(),
            "attachments": [asdict(a) for a in mail.attachments],
        }
        for mail in sim.received.mails()
    ]


@router.post("/reset")
async def reset(sim: SimulatorDep) -> dict[str, str]:
    await sim.reset()
    return {"status": "reset"}


@router.get("/{department}")
async def behaviour(department: str, sim: SimulatorDep) -> JSONResponse:
    try:
        return JSONResponse(sim.behaviour(department).model_dump())
    except UnknownDepartment:
        return error(404, f"unknown department {department!r}")


@router.post("/{department}")
async def configure(department: str, request: Request, sim: SimulatorDep) -> JSONResponse:
    try:
        partial = await request.json()
        if not isinstance(partial, dict):
            return error(400, "expected a JSON object with behaviour fields")
        return JSONResponse(sim.configure(department, partial).model_dump())
    except UnknownDepartment:
        return error(404, f"unknown department {department!r}")
    except ValidationError as e:
        return error(400, describe(e))
    except ValueError as e:  # the body is not JSON
        return error(400, f"body is not JSON: {e}")
