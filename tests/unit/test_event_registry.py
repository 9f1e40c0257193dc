"""Reading an envelope as the event model its reader expects: the right model comes back
typed, any other is refused with an error naming both; an envelope is decoded once."""

from __future__ import annotations

from uuid import uuid4

import pytest

from contracts.envelope import Envelope
from contracts.events import ApplicationWithdrawn, FollowUpClosed, ResultRecorded
from contracts.registry import UnexpectedEvent, decode, decode_as, narrow


def _withdrawn() -> Envelope:
    return Envelope.new(
        ApplicationWithdrawn(reason="moved away"), application_id=uuid4(), producer="intake"
    )


def test_an_envelope_decodes_as_its_model() -> None:
    withdrawn = decode_as(_withdrawn(), ApplicationWithdrawn)
    assert withdrawn == ApplicationWithdrawn(reason="moved away")


def test_an_envelope_of_another_model_is_refused_by_name() -> None:
    with pytest.raises(UnexpectedEvent, match=r"ApplicationWithdrawn .* where FollowUpClosed"):
        decode_as(_withdrawn(), FollowUpClosed)


def test_an_event_narrows_to_one_of_two_models() -> None:
    event = ApplicationWithdrawn(reason="moved away")
    assert narrow(event, FollowUpClosed, ApplicationWithdrawn) is event
    with pytest.raises(UnexpectedEvent, match="FollowUpClosed or ResultRecorded was expected"):
        narrow(event, FollowUpClosed, ResultRecorded)


def test_an_envelope_is_decoded_once_and_a_copy_with_another_payload_anew() -> None:
    envelope = _withdrawn()
    dumped = envelope.model_dump()
    first = decode(envelope)
    assert decode(envelope) is first
    assert envelope.model_dump() == dumped and envelope == envelope.model_copy()
    moved = envelope.model_copy(update={"payload": {"reason": "emigrated"}})
    assert decode_as(moved, ApplicationWithdrawn).reason == "emigrated"
    assert decode(envelope) is first
