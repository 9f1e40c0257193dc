"""Dead letters in the published contracts: the headers a consumer adds to a record it cannot
take (contracts/schemas/dead-letter-headers.json), and the dead-letter channel every service
with consumers sends to in its AsyncAPI document."""

from __future__ import annotations

import json
from typing import Any

from contracts import events as e
from contracts.kafka import DEAD_LETTER_HEADERS, KafkaHeaders, dead_letter_headers, to_kafka
from contracts.publish.examples import APPLICATION_ID, example_envelope
from contracts.publish.schemas import BASE_ID, DIALECT, HEADERS_FILE, KAFKA_BINDING, SCHEMAS
from contracts.topics import DEAD_LETTER

HEADERS_SCHEMA = "dead-letter-headers.json"
CHANNEL = "dead-letter"
MESSAGE = "DeadLetter"


_NOWHERE = e.SubtaskCompleted(
    subtask="psb-nonexistent",
    department="psb",
    filing_key=f"{APPLICATION_ID}:psb-nonexistent:1",
    legacy_receipt="PSB-3F9A2C7D1E4B0A5C",
)


def dead_letter_example() -> tuple[bytes, bytes, KafkaHeaders]:
    """A department's answer naming a sub-task the application does not have, as the router's
    consumer sends it to the dead letters."""
    key, value, headers = to_kafka(example_envelope(_NOWHERE, "legacy-psb"))
    reason = (
        f"SubtaskCompleted for application {APPLICATION_ID} (business-startup) names sub-task"
        " 'psb-nonexistent', which it does not have (amr-licence, hpf-provident-fund,"
        " hrss-social-insurance, psb-seal, tax-invoice)"
    )
    source = "onewindow.task-results/2/1187"
    return key, value, dead_letter_headers(headers, reason, source, "router.process", 1)


def dead_letter_headers_schema(example: list[tuple[str, bytes]]) -> dict[str, Any]:
    """A dead letter's headers: the record's own, unchanged, and those a consumer adds."""
    return {
        "$schema": DIALECT,
        "$id": BASE_ID + HEADERS_SCHEMA,
        "title": "Dead-letter record headers",
        "description": (
            "The headers of a record on the dead-letter topic: those the record had, unchanged "
            f"({HEADERS_FILE} when it was an event, anything when it was not), and those the "
            "consumer that could not take it added. Key and value are the record's, unchanged."
        ),
        "type": "object",
        "properties": {
            name: {"type": "string", "minLength": 1, "description": meaning}
            for name, meaning in DEAD_LETTER_HEADERS.items()
        }
        | {
            "dead_letter_source": {
                "type": "string",
                "pattern": "^.+/[0-9]+/[0-9]+$",
                "description": DEAD_LETTER_HEADERS["dead_letter_source"],
            }
        },
        "required": list(DEAD_LETTER_HEADERS),
        "additionalProperties": {"type": "string"},
        "examples": [{name: raw.decode() for name, raw in example}],
    }


def dead_letter_operation() -> dict[str, Any]:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{CHANNEL}"},
        "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{MESSAGE}"}],
        "description": "A record one of this service's consumers cannot take (not a valid "
        "event, or one its handler finds unprocessable) goes here before its offset is "
        "committed; the partition moves on. Nothing in OneWindow reads it: operators do.",
    }


def dead_letter_channel() -> dict[str, Any]:
    return {
        "address": DEAD_LETTER,
        "description": f"{DEAD_LETTER}: records a consumer could not take, each with "
        "its key, value and headers unchanged and the reason added as headers.",
        "messages": {MESSAGE: {"$ref": f"#/components/messages/{MESSAGE}"}},
    }


def dead_letter_message() -> dict[str, Any]:
    key, value, headers = dead_letter_example()
    return {
        "name": MESSAGE,
        "title": MESSAGE,
        "summary": "A record a consumer could not take, and why.",
        "headers": {"$ref": SCHEMAS + HEADERS_SCHEMA},
        "payload": {
            "description": "The record's value exactly as it arrived: usually an event's "
            "payload JSON (named by its event_type header), but possibly not JSON at all."
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The record's key, unchanged."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "examples": [
            {
                "name": MESSAGE,
                "summary": f"key {key.decode()}",
                "headers": {name: raw.decode() for name, raw in headers},
                "payload": json.loads(value),
            }
        ],
    }
