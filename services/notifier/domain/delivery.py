"""Delivery rules shared by every channel: which failures are worth another try, and what
a delivered or failed notice records (the wait before another try is eventlog/retry.py's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from contracts.events import NoticeDelivered, NoticeDeliveryFailed
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.recipients import mask


class DeliveryFailure(Exception):
    """A send that did not reach the receiver; `retryable` says whether trying again may help."""

    def __init__(self, error: str, *, retryable: bool) -> None:
        super().__init__(error)
        self.retryable = retryable


def retryable(error: str) -> DeliveryFailure:
    return DeliveryFailure(error, retryable=True)


def terminal(error: str) -> DeliveryFailure:
    return DeliveryFailure(error, retryable=False)


def check_http_status(status: int, who: str) -> None:
    """2xx passes; 408, 429 and 5xx are worth another try; any other answer is final."""
    if 200 <= status < 300:
        return
    if status in (408, 429) or status >= 500:
        raise retryable(f"{who} answered HTTP {status}")
    raise terminal(f"{who} answered HTTP {status}")


def delivered(prepared: NoticePrepared, attempts: int, receipt: str | None) -> NoticeDelivered:
    return NoticeDelivered(
        notice=prepared.kind,
        notice_key=prepared.notice_key,
        channel=prepared.channel,
        recipient=mask(prepared.channel, prepared.address),
        attempts=attempts,
        receipt=receipt,
        result_hash=prepared.result_hash,
        delivered_at=datetime.now(UTC),
    )


def failed(prepared: NoticePrepared, attempts: int, error: str) -> NoticeDeliveryFailed:
    return NoticeDeliveryFailed(
        notice=prepared.kind,
        notice_key=prepared.notice_key,
        channel=prepared.channel,
        recipient=mask(prepared.channel, prepared.address),
        attempts=attempts,
        error=error,
    )


class Sender(Protocol):
    """One delivery channel."""

    async def send(self, prepared: NoticePrepared, delivery_id: str) -> str | None:
        """Send once; return the receiver's receipt, or raise DeliveryFailure."""
