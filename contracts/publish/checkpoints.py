"""The published contract of `onewindow.checkpoints`: the JSON Schema of a signed checkpoint,
an example signed for real with a published example key (so a verifier written elsewhere can
test itself on it), and the channel every service's AsyncAPI document sends it on."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.checkpoint import SignedCheckpoint, statement_bytes
from contracts.topics import CHECKPOINTS

CHECKPOINT_FILE = "checkpoint.json"
MESSAGE = "SignedCheckpoint"
CHANNEL = "checkpoints"
# Ed25519 signing is deterministic: this seed always gives the same example signature.
_EXAMPLE_KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"onewindow example checkpoint key").digest()
)
EXAMPLE_PUBLIC_KEY = base64.b64encode(
    _EXAMPLE_KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
).decode()


def example_checkpoint() -> SignedCheckpoint:
    raw_public = base64.b64decode(EXAMPLE_PUBLIC_KEY)
    statement: dict[str, Any] = {
        "log": "intake",
        "seq": 42,
        "tree_size": 18230,
        "position": 18391,
        "root": hashlib.sha256(b"an example root").hexdigest(),
        "signed_at": "2026-05-06T02:16:00.000000Z",
        "key_id": hashlib.sha256(raw_public).hexdigest()[:16],
    }
    signature = base64.b64encode(_EXAMPLE_KEY.sign(statement_bytes(statement))).decode()
    return SignedCheckpoint.model_validate(statement | {"signature": signature})


def checkpoint_schema(dialect: str, base_id: str) -> dict[str, Any]:
    schema = SignedCheckpoint.model_json_schema(mode="serialization")
    schema.update(
        {
            "$schema": dialect,
            "$id": base_id + CHECKPOINT_FILE,
            "title": MESSAGE,
            "description": (
                f"{(SignedCheckpoint.__doc__ or '').strip()} The value of a record on "
                f"`{CHECKPOINTS}` (key: `log`) and of each line's `checkpoint` in the service's "
                "checkpoint file. Like an RFC 6962 signed tree head. The example is signed with "
                f"the example key whose raw public key is, in base64, {EXAMPLE_PUBLIC_KEY}."
            ),
            "examples": [example_checkpoint().model_dump()],
        }
    )
    return schema


def checkpoint_channel() -> dict[str, Any]:
    return {
        "address": CHECKPOINTS,
        "description": (
            f"{CHECKPOINTS}; every service's signed checkpoints of its event log, keyed by the "
            "log's name, so one log's checkpoints stay in order on one partition."
        ),
        "messages": {MESSAGE: {"$ref": f"#/components/messages/{MESSAGE}"}},
    }


def checkpoint_operation() -> dict[str, Any]:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{CHANNEL}"},
        "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{MESSAGE}"}],
    }


def checkpoint_message(schemas: str, kafka_binding: str) -> dict[str, Any]:
    example = example_checkpoint()
    return {
        "name": MESSAGE,
        "title": MESSAGE,
        "summary": "A signed checkpoint of one service's event log.",
        "contentType": "application/json",
        "payload": {"$ref": schemas + CHECKPOINT_FILE},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The log: the service's schema."},
                "bindingVersion": kafka_binding,
            }
        },
        "examples": [
            {"name": MESSAGE, "summary": f"key {example.log}", "payload": example.model_dump()}
        ],
    }
