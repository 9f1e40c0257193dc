"""What the intake tests do to applications: an example body, submitted or filed over HTTP,
and the router's word applied to the read model as its consumer would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx

from contracts.catalog import EXAMPLES_DIR
from contracts.envelope import Envelope, Event
from contracts.events import Delivery, OutcomeDecided
from runtime.service import Service
from services.intake.adapters.projection import apply

DELIVERY = Delivery(channel="email", address="chen@example.cn")


def example(matter: str = "business-startup", **changes: Any) -> dict[str, Any]:
    body = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text(encoding="utf-8"))
    body["delivery"] = {"channel": "email", "address": "chen@example.cn"}
    return body | changes


async def submit(
    http: httpx.AsyncClient, headers: dict[str, str], body: Any, key: str | None = None
) -> httpx.Response:
    return await http.post(
        "/v1/applications", json=body, headers=headers | {"Idempotency-Key": key or str(uuid4())}
    )


async def filed(http: httpx.AsyncClient, headers: dict[str, str], body: Any) -> tuple[str, UUID]:
    answer = await submit(http, headers, body)
    assert answer.status_code == 202, answer.text
    return answer.json()["status_url"], UUID(answer.json()["application_id"])


async def router_says(intake: Service, application_id: UUID, event: Event) -> None:
    """What the read model's consumer does with a router event: apply it."""
    envelope = Envelope.new(event, application_id=application_id, producer="router")
    async with intake.pool.acquire() as conn, conn.transaction():
        assert await apply(conn, envelope)


def to_applicant(matter: str = "business-startup") -> dict[str, Any]:
    """The fields of an outcome or notice event that say whom it is for."""
    return dict(
        matter=matter,
        matter_name="企业开办",
        receipt_number="YC",
        applicant_name="陈思远",
        delivery=DELIVERY,
    )


async def decide(intake: Service, application_id: UUID, decision: str = "approved") -> None:
    await router_says(
        intake,
        application_id,
        OutcomeDecided(
            **to_applicant(),
            decision=decision,
            working_days=0.5,
            on_time=True,
            promised_due_at=datetime(2026, 12, 1, tzinfo=UTC),
        ),
    )
