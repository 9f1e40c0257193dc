"""The offered load: applications of the matters' examples, each with an Idempotency-Key of its
own and its one result asked for at a webhook path of its own, submitted to intake at a pace,
with at most ``concurrency`` submissions under way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from uuid6 import uuid7

from onewindow.applicant import application_body
from onewindow.load.pacing import Pace


@dataclass
class Offer:
    """One application offered to intake, and what became of the offer."""

    key: str  # its Idempotency-Key; also names its webhook path
    matter: str
    body: dict[str, Any]
    first_sent: float | None = None  # monotonic time of the first attempt
    accepted_at: float | None = None  # when intake answered 202
    application_id: str | None = None
    attempts: int = 0
    refusal: str | None = None  # the last answer, when it was not 202

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None


def make_offers(matters: list[str], webhook_url: Callable[[str], str]) -> list[Offer]:
    """An offer per matter in ``matters``. Each is the matter's example with every material
    brought; what makes it unique to intake is its key, to the receiver its webhook path."""
    examples: dict[str, dict[str, Any]] = {}
    offers = []
    for matter in matters:
        key = str(uuid7())
        delivery = {"channel": "webhook", "address": webhook_url(key)}
        if matter not in examples:  # the catalog is read once per matter, not per offer
            examples[matter] = application_body(matter, delivery)
        example = examples[matter]
        offers.append(Offer(key, matter, {**example, "delivery": delivery}))
    return offers


@dataclass(frozen=True)
class Retrying:
    """What a real front end does: after a time-out, a 5xx, a 429 or no connection, submit again
    with the same key, until accepted or ``until`` (monotonic) has passed."""

    until: float
    wait_seconds: float = 0.5
    wait_max_seconds: float = 2.0


def retryable(status: int | None) -> bool:
    """None: no answer at all (no connection, a time-out, a broken connection)."""
    return status is None or status == 429 or status >= 500


async def offer_all(
    intake_url: str,
    api_key: str,
    offers: list[Offer],
    pace: Pace,
    concurrency: int,
    retrying: Retrying | None = None,
    timeout_seconds: float = 30.0,
) -> None:
    """Submit every offer; returns when each was accepted or given up on."""
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=intake_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=timeout_seconds,
        limits=limits,
    ) as http:

        async def submit(offer: Offer) -> None:
            try:
                await _submit(http, offer, retrying)
            finally:
                slots.release()

        started = time.monotonic()
        async with asyncio.TaskGroup() as group:
            for index, offer in enumerate(offers):
                await asyncio.sleep(max(0.0, started + pace.due(index) - time.monotonic()))
                await slots.acquire()
                group.create_task(submit(offer))


async def _submit(http: httpx.AsyncClient, offer: Offer, retrying: Retrying | None) -> None:
    wait = retrying.wait_seconds if retrying else 0.0
    while True:
        offer.attempts += 1
        sent = time.monotonic()
        if offer.first_sent is None:
            offer.first_sent = sent
        status: int | None = None
        try:
            response = await http.post(
                "/v1/applications", json=offer.body, headers={"Idempotency-Key": offer.key}
            )
            status = response.status_code
            if status == 202:
                offer.accepted_at = time.monotonic()
                offer.application_id = str(response.json()["application_id"])
                offer.refusal = None
                return
            offer.refusal = f"{status} {response.text[:200]}"
        except httpx.HTTPError as exc:
            offer.refusal = f"{type(exc).__name__}: {exc}"[:200]
        if not (retrying and retryable(status) and time.monotonic() + wait < retrying.until):
            return
        await asyncio.sleep(wait)
        wait = min(wait * 2, retrying.wait_max_seconds)
