"""The per-stream hash chain: hash = sha256(prev_hash || canonical JSON of the event).

Two hash schemes; every event records the one it was hashed with (`events.hash_scheme`):

1. `json.dumps` of the Python values (sorted keys). Its flaw: jsonb keeps numbers as
   `numeric`, so a float such as 1e16 comes back as the integer 10000000000000000 and its
   event could never be verified again. Kept only to verify events recorded before 2.
2. (what appends write) the canonical text of `canonical_json`, whose invariant is: the
   canonical text of a value equals the canonical text of what PostgreSQL's jsonb gives back
   for it, so the hash is over exactly what is stored and read back. Numbers are written as
   PostgreSQL prints a `numeric` — plain decimal notation, the scale kept, no exponent, zero
   unsigned — which is `format(Decimal(text), "f")` of the number's JSON text (Python's
   `repr` of a float is the shortest text that reads back as that float, and `numeric`
   keeps it exactly). So 1e16 and 10000000000000000 are both `10000000000000000`, 1e-7 is
   `0.0000001`, and a stored 1.50 stays `1.50` (read back with `parse_float=Decimal`).
   Keys are sorted by code point (jsonb's own order differs: it is not what is hashed);
   strings are kept code point for code point (jsonb does not normalise Unicode: NFC and
   NFD forms of one text stay distinct) and escaped as `json.dumps(ensure_ascii=False)` does.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from contracts.envelope import Envelope

HASH_SCHEME = 2  # what appends write; verify knows every scheme listed above
HASH_SCHEMES = frozenset({1, 2})


def canonical_json(value: Any) -> str:
    """The canonical text of a JSON value (scheme 2); see the module's docstring."""
    kind = type(value)  # the exact types first: appends hash every event under their lock
    if kind is str:
        text: str = encode_basestring(value)
        return text
    if kind is dict:
        return "{" + ",".join([_member(k, value[k]) for k in sorted(value)]) + "}"
    if kind is list or kind is tuple:
        return "[" + ",".join([canonical_json(item) for item in value]) + "]"
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return _other(value)


def _other(value: Any) -> str:
    """Booleans, numbers other than int, and subclasses of the JSON types (an enum, say)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        exact = Decimal(float.__repr__(value)) if isinstance(value, float) else value
        if not exact.is_finite():
            raise ValueError(f"not a JSON number: {value!r}")
        return format(exact if exact else abs(exact), "f")
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, str):
        return canonical_json(str.__str__(value))
    if isinstance(value, dict):
        return canonical_json(dict(value))
    if isinstance(value, list | tuple):
        return canonical_json(list(value))
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _member(key: Any, value: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"a JSON object's keys are text, not {type(key).__name__}: {key!r}")
    text: str = encode_basestring(key)
    return text + ":" + canonical_json(value)


def canonical_payload(payload: dict[str, Any]) -> str:
    """The text stored in `events.payload` (jsonb parses it; its text is not kept)."""
    return canonical_json(payload)


def chain_hash(
    prev_hash: bytes | None,
    stream_id: str,
    version: int,
    envelope: Envelope,
    payload_text: str | None = None,
) -> bytes:
    """The hash an append records (scheme HASH_SCHEME); `payload_text`, the payload's
    `canonical_payload`, when the caller has made it already (to store it)."""
    if payload_text is None:
        payload_text = canonical_payload(envelope.payload)
    return _scheme_two(prev_hash, stream_id, version, envelope, payload_text)


def stored_hash(
    scheme: int,
    prev_hash: bytes | None,
    stream_id: str,
    version: int,
    envelope: Envelope,
    payload: Any,
) -> bytes:
    """The hash of an event under `scheme`; `payload` as read back: for scheme 2,
    `json.loads(text, parse_float=Decimal)` of the stored jsonb (numbers kept exact)."""
    if scheme == 2:
        return _scheme_two(prev_hash, stream_id, version, envelope, canonical_json(payload))
    if scheme != 1:
        raise ValueError(f"unknown hash scheme {scheme}")
    meta = envelope.model_dump(mode="json", exclude={"payload"})
    body = {"stream_id": stream_id, "version": version, "meta": meta, "payload": payload}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash or b"") + text.encode()).digest()


def _scheme_two(
    prev_hash: bytes | None, stream_id: str, version: int, envelope: Envelope, payload_text: str
) -> bytes:
    """sha256(prev_hash || canonical_json({"meta", "payload", "stream_id", "version"})),
    the members written in their sorted order around the payload's text made once."""
    meta = canonical_json(envelope.model_dump(mode="json", exclude={"payload"}))
    body = (
        f'{{"meta":{meta},"payload":{payload_text},"stream_id":{canonical_json(stream_id)},'
        f'"version":{int.__repr__(version)}}}'
    )
    return hashlib.sha256((prev_hash or b"") + body.encode()).digest()


def read_back(stored_payload: str) -> Any:
    """A stored payload's jsonb text as scheme 2 hashes it: every number exact."""
    return json.loads(stored_payload, parse_float=Decimal)
