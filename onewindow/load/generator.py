"""The offered load: applications of the matters' examples, each with an Idempotency-Key of its
own and its one result asked for at a webhook path of its own, submitted to intake at a pace,
with at most ``concurrency`` submissions under way."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uuid6 import uuid7

from onewindow.applicant import application_body
from onewindow.load.pacing import Pace
from runtime.http_client import HttpClient, TimedOut, Unreachable, Unsendable


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
    # aiohttp, not httpx: the client shares the cores with what it measures, and costs a
    # quarter of the CPU per request
    http = HttpClient(max_connections=concurrency)
    submit_url = intake_url.rstrip("/") + "/v1/applications"
    auth = {"Authorization": f"Bearer {api_key}"}

    async def submit(offer: Offer) -> None:
        try:
            await _submit(http, submit_url, auth, offer, retrying, timeout_seconds)
        finally:
            slots.release()

    try:
        started = time.monotonic()
        async with asyncio.TaskGroup() as group:
            for index, offer in enumerate(offers):
                await asyncio.sleep(max(0.0, started + pace.due(index) - time.monotonic()))
                await slots.acquire()
                group.create_task(submit(offer))
    finally:
        await http.aclose()


async def _submit(
    http: HttpClient,
    url: str,
    auth: dict[str, str],
    offer: Offer,
    retrying: Retrying | None,
    timeout_seconds: float,
) -> None:
    wait = retrying.wait_seconds if retrying else 0.0
    headers = {**auth, "Idempotency-Key": offer.key}
    while True:
        offer.attempts += 1
        sent = time.monotonic()
        if offer.first_sent is None:
            offer.first_sent = sent
        status: int | None = None
        try:
            response = await http.post(
                url, json=offer.body, headers=headers, timeout=timeout_seconds
            )
            status = response.status_code
            if status == 202:
                offer.accepted_at = time.monotonic()
                offer.application_id = str(json.loads(response.content)["application_id"])
                offer.refusal = None
                return
            offer.refusal = f"{status} {response.content[:200].decode(errors='replace')}"
        except (TimedOut, Unreachable, Unsendable) as exc:
            offer.refusal = f"{type(exc).__name__}: {exc}"[:200]
        if not (retrying and retryable(status) and time.monotonic() + wait < retrying.until):
            return
        await asyncio.sleep(wait)
        wait = min(wait * 2, retrying.wait_max_seconds)
