"""What happens to a prepared notice: it is sent until delivered, a terminal failure or the
last attempt, a retryable failure tried again after the back-off, and how it ended is
recorded once (at version 2 of its stream, so of two workers only one records)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import structlog
from opentelemetry import trace

from contracts.envelope import Envelope, Event
from eventlog.retry import Backoff
from eventlog.store import ConcurrencyConflict, RecordedEvent
from runtime.clock import SYSTEM_CLOCK, Clock
from runtime.logs import mask as mask_text
from runtime.tracing import continuing
from services.notifier import SERVICE, metrics
from services.notifier.domain.delivery import DeliveryFailure, Sender, delivered, failed
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.recipients import address_problem, mask

log = structlog.get_logger()
Pause = Callable[[float], Awaitable[bool]]  # waits; True when the service is stopping


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff: Backoff  # the wait after a retryable failure


class Notices(Protocol):
    """The notice streams."""

    async def still_pending(self, stream_id: str) -> RecordedEvent | None:
        """The stream's NoticePrepared while its delivery is not yet recorded."""

    async def record(self, stream_id: str, outcome: Envelope) -> None:
        """Raises ConcurrencyConflict when another worker recorded first."""


async def deliver(
    stream_id: str,
    notices: Notices,
    senders: Mapping[str, Sender],
    policy: RetryPolicy,
    pause: Pause,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """Deliver the notice of `stream_id` if it is still pending, and record how it ended (at
    `clock`'s time); nothing is recorded when the service stops first (it stays pending)."""
    recorded = await notices.still_pending(stream_id)
    if recorded is None:
        return
    prepared = NoticePrepared.model_validate(recorded.envelope.payload)
    recipient = mask(prepared.channel, prepared.address)
    with (
        structlog.contextvars.bound_contextvars(stream=stream_id, recipient=recipient),
        continuing(
            f"deliver {prepared.channel}",
            recorded.envelope.traceparent,  # the notice's: the outcome's trace
            attributes={"onewindow.notice_stream": stream_id},
        ),
    ):
        sender = senders[prepared.channel]
        outcome = await attempt_delivery(prepared, stream_id, sender, policy, pause)
        if outcome is None:
            return
        cause = recorded.envelope
        event = Envelope.new(
            outcome,
            application_id=cause.application_id,
            producer=SERVICE,
            causation=cause,
            occurred_at=clock.now(),
        )
        try:
            await notices.record(stream_id, event)
        except ConcurrencyConflict:
            log.info("another worker recorded this notice first", stream=stream_id)
            return
        metrics.count_delivery(outcome)
        log.info("delivery recorded", outcome=outcome.event_type, **outcome.model_dump())


async def attempt_delivery(
    prepared: NoticePrepared,
    delivery_id: str,
    sender: Sender,
    policy: RetryPolicy,
    pause: Pause,
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
            delay = policy.backoff.delay(attempt)
            log.warning("send failed; retrying", error=str(exc), attempt=attempt, retry_in_s=delay)
            if await pause(delay):
                return None
            continue
        trace.get_current_span().add_event("sent", {"attempt": attempt})
        return delivered(prepared, attempt, receipt)
    raise AssertionError("max_attempts is at least 1")
