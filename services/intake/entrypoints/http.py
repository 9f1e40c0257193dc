"""HTTP routes of intake: parse, call the handler, return."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from contracts.events import Channel
from eventlog.store import EventStore
from services.intake import handlers

router = APIRouter(prefix="/v1")


class SubmitApplication(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    matter: str = Field(min_length=1, examples=["business-startup"])
    channel: Channel = "web"
    applicant: dict[str, Any]
    form: dict[str, Any]


class Accepted(BaseModel):
    application_id: UUID
    receipt_number: str


def _store(request: Request) -> EventStore:
    store: EventStore = request.app.state.service.store
    return store


Store = Annotated[EventStore, Depends(_store)]


@router.post("/applications", status_code=202)
async def submit(body: SubmitApplication, store: Store) -> Accepted:
    application_id, receipt = await handlers.submit_application(
        store, body.matter, body.channel, body.applicant, body.form
    )
    return Accepted(application_id=application_id, receipt_number=receipt)
