"""One notice's send loop: send, retry a retryable failure with backoff, stop at the last
attempt or when the service stops."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from opentelemetry import trace

from contracts.envelope import Event
from runtime.logs import mask as mask_text
from services.notifier.domain.delivery import (
    DeliveryFailure,
    Sender,
    backoff_delay,
    delivered,
    failed,
)
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.recipients import address_problem

log = structlog.get_logger()
Pause = Callable[[float], Awaitable[bool]]  # waits; True when the service is stopping


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float


async def attempt_delivery(
    prepared: NoticePrepared,
    delivery_id: str,
    sender: Sender,
    policy: RetryPolicy,
    pause: Pause,
    draw: Callable[[], float] = random.random,
) -> Event | None:
    """Send until delivered, a terminal failure or the last attempt: NoticeDelivered or
    NoticeDeliveryFailed, or None when the service stops first (the notice stays pending)."""
    problem = address_problem(prepared.channel, prepared.address)
    if problem:
        return failed(prepared, 1, problem)
    for attempt in range(1, policy.max_attempts + 1):
        try:
            receipt = await sender.send(prepared, delivery_id)
        except DeliveryFailure as exc:
            trace.get_current_span().add_event(
                "send failed", {"attempt": attempt, "error": mask_text(str(exc))}
            )
            if not exc.retryable or attempt == policy.max_attempts:
                return failed(prepared, attempt, str(exc))
            delay = backoff_delay(attempt, policy.backoff_seconds, policy.backoff_max_seconds, draw)
            log.warning("send failed; retrying", error=str(exc), attempt=attempt, retry_in_s=delay)
            if await pause(delay):
                return None
            continue
        trace.get_current_span().add_event("sent", {"attempt": attempt})
        return delivered(prepared, attempt, receipt)
    raise AssertionError("max_attempts is at least 1")
