"""The envelope ⇄ Kafka record mapping, and the reasons a bad record is refused."""

from __future__ import annotations

import json

import pytest
from uuid6 import uuid7

from contracts.kafka import MalformedMessage, from_kafka, to_kafka
from contracts.topics import TASK_RESULTS, tasks_topic, topic_for
from tests.helpers import event


def test_round_trip_keeps_every_field() -> None:
    original = event(uuid7(), 7)
    key, value, headers = to_kafka(original)
    assert key == str(original.application_id).encode()
    assert json.loads(value) == original.payload
    assert dict(headers)["event_type"] == b"SubtaskCompleted"
    assert from_kafka(key, value, headers) == original


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda k, v, h: (k, b"\xff", h), "not UTF-8 JSON"),
        (lambda k, v, h: (k, b"[1]", h), "must be a JSON object"),
        (lambda k, v, h: (k, v, [x for x in h if x[0] != "producer"]), "missing headers: producer"),
        (
            lambda k, v, h: (k, v, [(n, b"Nope") if n == "event_type" else (n, x) for n, x in h]),
            "unknown event type 'Nope'",
        ),
        (lambda k, v, h: (k, b'{"subtask": 1}', h), "subtask: Input should be a valid string"),
        (lambda k, v, h: (b"other", v, h), "key differs from the application_id"),
    ],
)
def test_malformed_records_name_what_is_wrong(change, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MalformedMessage, match=reason):
        from_kafka(*change(*to_kafka(event())))


def test_topics_follow_the_event_type() -> None:
    assert topic_for(event()) == TASK_RESULTS
    assert tasks_topic("amr") == "onewindow.tasks.amr"
