"""The per-stream hash chain: hash = sha256(prev_hash || canonical JSON of the event)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from contracts.envelope import Envelope


def canonical_payload(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: bytes | None, stream_id: str, version: int, envelope: Envelope) -> bytes:
    meta = envelope.model_dump(mode="json", exclude={"payload"})
    body = canonical_payload(
        {"stream_id": stream_id, "version": version, "meta": meta, "payload": envelope.payload}
    )
    return hashlib.sha256((prev_hash or b"") + body.encode()).digest()
