"""Run-time control for tests and demos: change behaviour (of departments and of the sharing
platform's registers), read the filing counts, the platform's ledger of lookups, the topic
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

from services.legacy_sim.config import Behaviours
from services.legacy_sim.domain.lookup_ledger import Lookup
from services.legacy_sim.protocols.filing_json import (
    BadRequest,
    SimulatorDep,
    describe,
    error,
    parse_json,
)
from services.legacy_sim.protocols.sharing import PlatformDep
from services.legacy_sim.protocols.topic import TopicConsumer

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


@router.get("/sharing/ledger")
async def sharing_ledger(
    platform: PlatformDep, application_id: str | None = None, dataset: str | None = None
) -> dict[str, Any]:
    """The platform's lookups in arrival order, optionally of one application or dataset."""
    entries = platform.ledger.entries(application_id and application_id.lower(), dataset)
    return {"lookups": [_lookup(e) for e in entries], "dropped": platform.ledger.dropped}


def _lookup(entry: Lookup) -> dict[str, Any]:
    asked = entry.request
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "requester": asked.requester,
        "application_id": asked.application_id,
        "purpose": {"matter": asked.matter, "subtask": asked.subtask},
        "dataset": entry.dataset,
        "keys": list(asked.keys),
        "fields": None if asked.fields is None else list(asked.fields),
        "status": entry.status,
        "found": list(entry.found),
        "stalled": entry.stalled,
    }


@router.get("/sharing/{dataset}")
async def register_behaviour(dataset: str, platform: PlatformDep) -> JSONResponse:
    return _shown(platform.behaviours, dataset, "dataset")


@router.post("/sharing/{dataset}")
async def configure_register(dataset: str, request: Request, platform: PlatformDep) -> JSONResponse:
    return await _changed(request, platform.behaviours, dataset, "dataset")


@router.get("/{department}")
async def behaviour(department: str, sim: SimulatorDep) -> JSONResponse:
    return _shown(sim.behaviours, department, "department")


@router.post("/{department}")
async def configure(department: str, request: Request, sim: SimulatorDep) -> JSONResponse:
    return await _changed(request, sim.behaviours, department, "department")


def _shown(behaviours: Behaviours, name: str, kind: str) -> JSONResponse:
    try:
        return JSONResponse(behaviours[name].model_dump())
    except LookupError:
        return error(404, f"unknown {kind} {name!r}")


async def _changed(request: Request, behaviours: Behaviours, name: str, kind: str) -> JSONResponse:
    """Apply a partial behaviour from the body; the answer is the full new behaviour."""
    try:
        behaviours[name]
    except LookupError:
        return error(404, f"unknown {kind} {name!r}")
    try:
        partial = parse_json(await request.body())
    except BadRequest as e:
        return error(400, str(e))
    if not isinstance(partial, dict):
        return error(400, "expected a JSON object with behaviour fields")
    try:
        return JSONResponse(behaviours.configure(name, partial).model_dump())
    except ValidationError as e:
        return error(400, describe(e))
