"""Events the notifier keeps in its own log; topic_for maps them to None, so never published."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from contracts.envelope import Event
from contracts.events import DeliveryChannel, NoticeKind
from contracts.registry import register


@register
class NoticePrepared(Event):
    """A notice ready to go: the durable to-do of the delivery workers. The first event of
    its stream `notice-<application_id>-<notice_key>`; a stream that exists is never
    prepared again, so one notice is sent once."""

    event_type = "NoticePrepared"
    kind: NoticeKind
    notice_key: str = Field(min_length=1, description="outcome, or the supplement notice id")
    channel: DeliveryChannel
    address: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    text: str = Field(min_length=1, description="Plain-text body; the SMS text for sms.")
    document: dict[str, Any] = Field(description="The structured notice (the one result).")
    result_hash: str | None = Field(default=None, description="sha256 of `document`.")


@register
class ReminderWaiting(Event):
    """A reminder for the applicant of an application whose submission the notifier has not
    seen yet (topics are consumed at different speeds), so it has no address to send to.
    Kept in the stream `waiting-<application_id>`; seeing ApplicationSubmitted prepares it."""

    event_type = "NotifierReminderWaiting"
    notice_key: str = Field(min_length=1)
    clock_event: dict[str, Any] = Field(description="The TimeLimitWarned payload, whole.")
