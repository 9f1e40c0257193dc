from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import ApplicationSubmitted, Channel
from eventlog.store import EventStore

SERVICE = "intake"


def application_stream(application_id: UUID) -> str:
    return f"application-{application_id}"


async def submit_application(
    store: EventStore,
    matter: str,
    channel: Channel,
    applicant: dict[str, Any],
    form: dict[str, Any],
) -> tuple[UUID, str]:
    application_id = uuid7()
    receipt = f"YC{datetime.now(UTC):%Y%m%d}{application_id.hex[-8:].upper()}"
    event = ApplicationSubmitted(
        matter=matter, channel=channel, receipt_number=receipt, applicant=applicant, form=form
    )
    envelope = Envelope.new(event, application_id=application_id, producer=SERVICE)
    await store.append(application_stream(application_id), 0, [envelope])
    return application_id, receipt
