"""Run-time control for tests and demos: change behaviour, read the filing counts, reset."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.legacy_sim.protocols.filing_json import SimulatorDep, describe, error
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
