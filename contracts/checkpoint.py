"""A signed checkpoint: one service's event log, as it stood, vouched for by a key the
database does not hold. The record value on `onewindow.checkpoints` (key: the log's name) and
each line of the service's checkpoint file (eventlog/checkpoint_file.py).

Like a Certificate Transparency signed tree head (RFC 6962): the size of the log and the
Merkle tree hash of its events in position order (eventlog/merkle.py), signed with Ed25519.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SIGNED_PREFIX = b"onewindow checkpoint v1\n"


class SignedCheckpoint(BaseModel):
    """The state of one service's event log up to a position, signed by the service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log: str = Field(min_length=1, description="The log: the service's schema, e.g. `intake`.")
    seq: int = Field(ge=1, description="This checkpoint's number in its log's series, from 1.")
    tree_size: int = Field(
        ge=1, description="How many events it covers: every one up to `position`."
    )
    position: int = Field(ge=1, description="The log position of the last event covered.")
    root: str = Field(
        pattern="^[0-9a-f]{64}$",
        description="RFC 6962 Merkle tree hash (hex) of the events covered, in position order; "
        "a leaf is the compact JSON [position, stream_id, version, hash hex] of one event.",
    )
    signed_at: str = Field(
        pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
        description="When it was signed, UTC, as the signer's clock had it.",
    )
    key_id: str = Field(
        pattern="^[0-9a-f]{16}$",
        description="The first 8 bytes (hex) of SHA-256 of the raw 32-byte Ed25519 public key.",
    )
    signature: str = Field(
        min_length=1,
        description="Base64 Ed25519 signature of `onewindow checkpoint v1\\n` followed by the "
        "UTF-8 JSON of every other field, keys sorted, no whitespace.",
    )

    def signed_bytes(self) -> bytes:
        return statement_bytes(self.model_dump(exclude={"signature"}))


def statement_bytes(statement: dict[str, Any]) -> bytes:
    """What is signed: fields that are text and integers only, so the bytes are fixed."""
    text = json.dumps(statement, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return SIGNED_PREFIX + text.encode()
