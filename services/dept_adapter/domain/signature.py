"""The legacy callbacks' signature: `sha256=<hex HMAC-SHA256 of the exact body bytes>`."""

from __future__ import annotations

import hashlib
import hmac


def signed(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, signature: str) -> bool:
    """Constant-time compare, before the body is parsed."""
    return hmac.compare_digest(signed(secret, body).encode(), signature.strip().encode())
